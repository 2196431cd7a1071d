// Writes dist/build-info.json after `tsc`: the commit a build was made from, so `--version`, the
// report, the User-Agent and the image's labels can say exactly what runs. The commit comes from git
// when the build has a checkout, else from $ENV_REAPER_COMMIT (the image build passes it), else
// $CI_COMMIT_SHA, else "unknown". Plain Node: it runs where only the build's own tools are.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

const commit = process.env.ENV_REAPER_COMMIT || gitCommit() || process.env.CI_COMMIT_SHA || 'unknown';
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
writeFileSync('dist/build-info.json', `${JSON.stringify({ version, commit }, null, 2)}\n`);
// tsc writes files 0644: the CLI's entry point must stay executable, so `npm exec -- env-reaper` (the bin
// link npm made at install) keeps working after every rebuild.
chmodSync('dist/cli/main.js', 0o755);
