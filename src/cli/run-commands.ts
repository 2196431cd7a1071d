import { UsageError } from '../errors/errors.js';
import type { CliIo } from './io.js';
import type { GlobalOptions } from './program.js';

export async function auditCommand(_o: GlobalOptions, _io: CliIo): Promise<number> {
  throw new UsageError('audit is not implemented yet');
}
export async function reapCommand(_o: GlobalOptions, _io: CliIo): Promise<number> {
  throw new UsageError('reap is not implemented yet');
}
export async function explainCommand(_o: GlobalOptions, _a: string[], _io: CliIo): Promise<number> {
  throw new UsageError('explain is not implemented yet');
}
