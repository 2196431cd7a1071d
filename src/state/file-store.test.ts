import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore, StateCorruptError } from './file-store.js';
import { emptyState } from './state.js';

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

  it('says how to recover from a corrupt file, and keeps the state before each save as the way back', async () => {
    const path = join(await dir(), 'state.json');
    const store = new FileStateStore(path);
    const first = {
      ...emptyState(),
      stacks: { a: { name: 'a', firstSeen: {}, lastSeen: '2026-12-01T00:00:00Z' } },
    };
    await store.save(first);
    await store.save(emptyState());
    // The copy before the last save is the first state.
    expect(JSON.parse(await readFile(`${path}.prev`, 'utf8'))).toEqual(first);
    await writeFile(path, '{"version": 1, "stacks": ');
    const error = (await store.load().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StateCorruptError);
    expect(error.message).toContain(`${path}.prev (check it, then copy it over ${path})`);
    expect(error.message).toMatch(/audit log \(state\.auditLog\)/);
    expect(error.message).toMatch(/start fresh, which forgets when each verdict was first seen/);
    // The way back works: the previous copy loads.
    await writeFile(path, await readFile(`${path}.prev`, 'utf8'));
    expect((await store.load()).stacks.a?.name).toBe('a');
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
