// @ts-nocheck
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore, StateCorruptError } from './file-store.js';

async function dir() {
  return mkdtemp(join(tmpdir(), 'env-reaper-state-'));
}

// The behaviour every backend shares is in store-contract.test.ts; these are the file backend's own.
describe('FileStateStore', () => {
  it('refuses a corrupt state file instead of losing clocks', async () => {
    const path = join(await dir(), 'state.json');
    await writeFile(path, '{"version": 1, "stacks": ');
    await expect(new FileStateStore(path).load()).rejects.toBeInstanceOf(StateCorruptError);
  });

  it('takes over the lock of a dead process', async () => {
    const path = join(await dir(), 'state.json');
    const dead = spawn(process.execPath, ['-e', '0']);
    const pid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid as number)));
    const { hostname } = await import('node:os');
    await writeFile(`${path}.lock`, JSON.stringify({ pid, host: hostname(), runId: 'dead' }));
    const lock = await new FileStateStore(path).lock({ runId: 'next' });
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8')).runId).toBe('next');
    await lock.release();
  });
});
