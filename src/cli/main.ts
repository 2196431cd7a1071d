#!/usr/bin/env node
import { run } from './program.js';

// The SDK warns on every run that releases after January 2027 need Node 22. Our lockfile pins a version
// that supports Node 20 (see README), and the warning would break the JSON-lines contract on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The bin entry: everything testable lives in program.ts; this file only wires the real process.
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
});
