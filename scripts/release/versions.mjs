// The files that name the released version besides package.json, which changesets does not know about:
// the component's default image tag, the Kubernetes manifests' image and the lockfile's root entry.
//   node scripts/release/versions.mjs sync    after `changeset version` (npm run release:version)
//   node scripts/release/versions.mjs check   in the release pipeline and the tests: exit 1 when one differs
// A few string replacements, so no library: the files keep their comments and layout.
import { readFileSync, writeFileSync } from 'node:fs';

const mode = process.argv[2];
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const edits = [
  {
    file: 'templates/env-reaper.yml',
    // The `version` input's default, the first `default:` after `version:` in the spec.
    pattern: /(\n {4}version:\n(?: {6}.*\n)*? {6}default: ")([^"]*)(")/,
  },
  { file: 'deploy/kubernetes/cronjob.yaml', pattern: /(image: [^\s:]+\/env-reaper:)(\S+)()/ },
  { file: 'deploy/kubernetes/deployment.yaml', pattern: /(image: [^\s:]+\/env-reaper:)(\S+)()/ },
];
let wrong = 0;
for (const { file, pattern } of edits) {
  const text = readFileSync(file, 'utf8');
  const m = pattern.exec(text);
  if (!m) throw new Error(`${file}: no version found where expected (${pattern})`);
  if (m[2] === version) continue;
  if (mode === 'sync') writeFileSync(file, text.replace(pattern, `$1${version}$3`));
  else {
    process.stderr.write(`${file} names ${m[2]}, package.json ${version}\n`);
    wrong++;
  }
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
if (lock.version !== version || lock.packages[''].version !== version) {
  if (mode === 'sync') {
    lock.version = version;
    lock.packages[''].version = version;
    writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  } else {
    process.stderr.write(`package-lock.json names ${lock.version}, package.json ${version}\n`);
    wrong++;
  }
}
if (mode !== 'sync' && mode !== 'check') throw new Error('usage: versions.mjs sync|check');
if (wrong > 0) process.exit(1);
process.stdout.write(`${mode === 'sync' ? 'synced' : 'checked'}: every file names ${version}\n`);
