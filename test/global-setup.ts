import { execFileSync } from 'node:child_process';

/**
 * No test writes into the repository tree: the untracked and ignored files outside the build's own
 * outputs are listed before the suite and compared after it. A test that leaves a file in the
 * repository (state, reports, screenshots) fails the run here.
 */
const OWN_OUTPUTS = /^(node_modules\/|dist\/|reports\/vitest\.json$|reports\/mutation\/|\.stryker-tmp\/)/;

function strayFiles(): string[] {
  try {
    // Every file git does not track (ignored ones too), outside the build's own output folders.
    const exclude = ['node_modules', 'dist', '.stryker-tmp', 'reports/mutation'].map((d) => `:(exclude)${d}`);
    return execFileSync('git', ['ls-files', '--others', '--', '.', ...exclude], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\n')
      .filter((f) => f !== '' && !OWN_OUTPUTS.test(f));
  } catch {
    return []; // not a git checkout (a packed copy): nothing to compare
  }
}

export default function setup(): () => void {
  const before = new Set(strayFiles());
  return () => {
    const added = strayFiles().filter((f) => !before.has(f));
    if (added.length > 0) {
      // vitest reports a teardown exception without failing the run: fail it explicitly.
      process.stderr.write(`\nFAIL: tests wrote into the repository tree: ${added.join(', ')}\n`);
      process.exitCode = 1;
    }
  };
}
