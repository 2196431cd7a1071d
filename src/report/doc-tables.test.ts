import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_LIST } from '../core/error-codes.js';
import { REASON_CODES, VERDICTS } from '../core/model.js';
import { AUDIT_EVENT_NAMES } from '../executor/audit-events.js';
import { EXECUTION_CODES } from '../executor/outcome.js';
import { docRegions, regionOf, tableCells, withRegion } from './doc-tables.js';

describe('generated doc tables', () => {
  it.each(docRegions().map((r) => [`${r.path} (${r.name})`, r] as const))(
    '%s matches the code (run `npm run gen`)',
    async (_label, region) => {
      const committed = regionOf(await readFile(region.path, 'utf8'), region.name);
      expect(committed, 'markers missing').toBeDefined();
      expect(tableCells(committed ?? '')).toEqual(tableCells(region.content));
    },
  );

  it('lists every verdict, reason code and execution code, one row each', () => {
    const rows = (name: string) =>
      tableCells(docRegions().find((r) => r.name === name)?.content ?? '')
        .slice(2)
        .map((r) => r[0]);
    expect(rows('verdicts')).toEqual(VERDICTS.map((v) => `\`${v}\``));
    expect(rows('reason-codes')).toEqual(REASON_CODES.map((c) => `\`${c}\``));
    expect(rows('execution-codes')).toEqual(Object.keys(EXECUTION_CODES).map((c) => `\`${c}\``));
    expect(rows('error-codes')).toEqual(ERROR_CODE_LIST.map((c) => `\`${c}\``));
    expect(rows('audit-events')).toEqual(AUDIT_EVENT_NAMES.map((c) => `\`${c}\``));
  });

  it('reads an aligned table as the same cells, and a changed cell as a difference', () => {
    const plain = '| a | b |\n| --- | --- |\n| `x` | y \\| z |';
    const aligned = '| a   | b      |\n| --- | ------ |\n| `x` | y \\| z |';
    expect(tableCells(aligned)).toEqual(tableCells(plain));
    expect(tableCells(aligned.replace('y', 'w'))).not.toEqual(tableCells(plain));
    expect(
      withRegion(
        'x\n<!-- generated: t (npm run gen; do not edit by hand) -->\nold\n<!-- end of generated: t -->\n',
        {
          path: 'p',
          name: 't',
          content: 'new',
        },
      ),
    ).toContain('\n\nnew\n\n<!-- end of generated: t -->');
  });
});
