import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore, LockHeldError, StateCorruptError } from './file-store.js';
import { emptyState } from './state.js';

async function dir() {
  return mkdtemp(join(tmpdir(), 'env-reaper-state-'));
}

describe('FileStateStore', () => {
  it('starts empty and round-trips state through an atomic rename', async () => {
    const store = new FileStateStore(join(await dir(), 'nested', 'state.json'));
    expect(await store.load()).toEqual(emptyState());
    const state = emptyState();
    state.stacks.a = {
      name: 'a',
      firstSeen: { merged: '2026-01-01T00:00:00.000Z' },
      lastSeen: '2026-01-02T00:00:00.000Z',
    };
    await store.save(state);
    expect(await store.load()).toEqual(state);
  });

  it('refuses a corrupt state file instead of losing clocks', async () => {
    const path = join(await dir(), 'state.json');
    await writeFile(path, '{"version": 1, "stacks": ');
    await expect(new FileStateStore(path).load()).rejects.toBeInstanceOf(StateCorruptError);
  });

  it('holds the lock against a second taker and frees it on release', async () => {
    const store = new FileStateStore(join(await dir(), 'state.json'));
    const lock = await store.lock({ runId: 'a' });
    await expect(store.lock({ runId: 'b' })).rejects.toBeInstanceOf(LockHeldError);
    await lock.release();
    const again = await store.lock({ runId: 'c' });
    await again.release();
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
