import { describe, expect, it } from 'vitest';
import { checkTree, importsOf, violationsOf } from '../../scripts/check-layers.js';

describe('layer check', () => {
  it('the repository has no layer violation', () => {
    expect(checkTree(process.cwd())).toEqual([]);
  });

  it('finds static, dynamic and side-effect imports', () => {
    const text = [
      "import { a } from '../run/audit.js';",
      "import type { B } from './b.js';",
      "const c = await import('../cli/program.js');",
      "import '../schedule/daemon.js';",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      '../run/audit.js',
      './b.js',
      '../cli/program.js',
      '../schedule/daemon.js',
    ]);
  });

  it('refuses a lower layer importing a higher one, and siblings importing each other', () => {
    const why = (file: string, text: string) => violationsOf(file, text).map((v) => v.why);
    expect(why('src/reap/executor.ts', "import { x } from '../report/json-report.js';")).toEqual([
      'reap (layer 4) may not import report (layer 5)',
    ]);
    expect(why('src/schedule/daemon.ts', "const m = await import('../cli/run-commands.js');")).toHaveLength(
      1,
    );
    expect(why('src/core/plan.ts', "import { x } from '../util/redact.js';")).toEqual([
      'core is a foundation: it imports no other folder of src/',
    ]);
    expect(why('src/aws/stacks.ts', "import { x } from '../gitlab/reader.js';")).toEqual([
      'aws and gitlab are siblings: neither imports the other',
    ]);
    expect(why('src/newthing/x.ts', '')).toEqual(['folder newthing is not in the layer table']);
  });

  it('accepts imports downwards and inside a folder', () => {
    expect(
      violationsOf(
        'src/run/reap.ts',
        "import { a } from '../reap/executor.js';\nimport { b } from './audit.js';\nimport { c } from '../core/plan.js';",
      ),
    ).toEqual([]);
  });
});
