// @ts-nocheck
import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: `20261128T120000Z-a1b2c3`. Valid as a ClientRequestToken prefix. */
export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
