#!/usr/bin/env node
// @ts-nocheck
import { run } from './program.js';

// The bin entry: everything testable lives in program.ts; this file only wires the real process.
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
});
