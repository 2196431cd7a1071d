// Prints CHANGELOG.md's section for one version (the GitLab release's notes): from its `## <version>`
// heading to the next `## `. changesets writes the file but has no command that reads a section back.
import { readFileSync } from 'node:fs';

const version = process.argv[2];
const lines = readFileSync('CHANGELOG.md', 'utf8').split('\n');
const start = lines.indexOf(`## ${version}`);
if (start < 0) {
  process.stderr.write(`CHANGELOG.md has no "## ${version}" section\n`);
  process.exit(1);
}
const next = lines.findIndex((l, i) => i > start && l.startsWith('## '));
const body = lines
  .slice(start + 1, next < 0 ? undefined : next)
  .join('\n')
  .trim();
process.stdout.write(`${body}\n`);
