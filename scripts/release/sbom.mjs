// The CycloneDX SBOM of the package as users install it, from npm itself (`npm sbom`, npm 9.5+):
// the packed tarball is installed into an empty directory and npm describes that tree. (`npm sbom
// --omit dev` in the checkout drops runtime packages that development tools also use, zod among them.)
// The SBOM's subject is then env-reaper itself, not the scratch directory.
//   node scripts/release/sbom.mjs release/env-reaper-<version>.tgz > release/env-reaper-<version>.cdx.json
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const tarball = resolve(process.argv[2] ?? '');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const npm = (args, cwd) =>
  execFileSync(
    process.env.npm_execpath ? process.execPath : 'npm',
    [...(process.env.npm_execpath ? [process.env.npm_execpath] : []), ...args],
    { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
  );

const dir = mkdtempSync(join(tmpdir(), 'env-reaper-sbom-'));
try {
  writeFileSync(join(dir, 'package.json'), '{"name":"sbom-scratch","version":"0.0.0","private":true}\n');
  npm(
    [
      'install',
      tarball,
      '--omit',
      'optional',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    dir,
  );
  const sbom = JSON.parse(npm(['sbom', '--sbom-format', 'cyclonedx'], dir));
  const self = sbom.components.find((c) => c.name === pkg.name);
  if (!self) throw new Error(`${pkg.name} is not in the installed tree`);
  const scratchRef = sbom.metadata.component['bom-ref'];
  sbom.metadata.component = { ...self, type: 'application' };
  sbom.components = sbom.components.filter((c) => c !== self);
  sbom.dependencies = sbom.dependencies.filter((d) => d.ref !== scratchRef);
  process.stdout.write(`${JSON.stringify(sbom, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
