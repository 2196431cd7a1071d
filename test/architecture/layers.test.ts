import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTree, importsOf, packageViolationsOf, violationsOf } from '../../scripts/check-layers.js';

describe('layer check', () => {
  it('the repository has no layer violation', () => {
    expect(checkTree(process.cwd())).toEqual([]);
  });

  it('no TypeScript file (src, tests, sandbox, scripts, bench) is over 500 lines: split by concern first', () => {
    const files = ['src', 'test', 'scripts', 'bench'].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f)),
    );
    const long = files
      .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 500);
    expect(files.length).toBeGreaterThan(150);
    expect(long).toEqual([]);
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
    expect(why('src/executor/executor.ts', "import { x } from '../report/json-report.js';")).toEqual([
      'executor (layer 6) may not import report (layer 7)',
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
        "import { a } from '../executor/executor.js';\nimport { b } from './audit.js';\nimport { c } from '../core/plan.js';",
      ),
    ).toEqual([]);
  });

  it('keeps each outside package in its home, type-only and dynamic imports included', () => {
    const why = (file: string, text: string) => packageViolationsOf(file, text).map((v) => v.why);
    expect(
      why(
        'src/cli/doctor-command.ts',
        "import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';",
      ),
    ).toEqual(['the AWS SDK lives in src/aws (src/aws/ports.ts)']);
    expect(why('src/state/s3-store.ts', "const s3 = await import('@aws-sdk/client-s3');")).toHaveLength(1);
    expect(why('src/run/context.ts', "import type { Gitlab } from '@gitbeaker/rest';")).toEqual([
      'gitbeaker lives in src/gitlab (src/gitlab/ports.ts)',
    ]);
    expect(why('src/run/doctor.ts', "import { request } from 'node:https';")).toHaveLength(1);
    expect(why('src/report/html.ts', "import pino from 'pino';")).toHaveLength(1);
    expect(
      why('src/aws/stacks.ts', "import { CloudFormationClient } from '@aws-sdk/client-cloudformation';"),
    ).toEqual([]);
    expect(why('src/gitlab/transport.ts', "import { request } from 'node:http';")).toEqual([]);
    expect(why('src/gitlab/reader.ts', "import { request } from 'node:http';")).toHaveLength(1);
    expect(why('src/run/audit.ts', "import pLimit from 'p-limit';\nimport { z } from 'zod';")).toEqual([]);
  });
});
