import { copyFile, mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { FormatTooNewError, ReaperError } from '../errors/errors.js';
import type { Lock, StateStore } from './ports.js';
import { emptyState, parseState, type State } from './state.js';

/** Another run holds the lock. */
export class LockHeldError extends ReaperError {
  constructor(readonly holder: string) {
    super('LOCK_HELD', `another env-reaper run holds the lock (${holder}); use --wait-lock to wait for it`);
  }
}

/**
 * The state file is not valid JSON state: refuse to run rather than lose grace clocks or deletions, and
 * say the ways out: the previous copy, the audit log, or a fresh start and what that forgets.
 */
export class StateCorruptError extends ReaperError {
  constructor(path: string, cause: unknown, previous?: string) {
    super(
      'STATE_CORRUPT',
      [
        `state file ${path} is not valid: ${(cause as Error).message}. Nothing was read or deleted. To recover:`,
        previous ? ` ${previous};` : '',
        ' the audit log (state.auditLog) lists every write env-reaper made, deletions in flight included;',
        ' or move the file aside to start fresh, which forgets when each verdict was first seen (grace and',
        ' notice windows start again), which MR notices were posted (they may be posted again) and the',
        ' deletions in flight (their stacks are judged again as they are then)',
      ].join(''),
      { cause },
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * State in a local JSON file, written to a temp file and renamed (atomic on POSIX), with a lock file
 * created with O_EXCL. A lock left by a dead process on this host is taken over.
 */
export class FileStateStore implements StateStore {
  constructor(readonly path: string) {}

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  /** The state as it was before the last save: a way back when the file is damaged. */
  get previousPath(): string {
    return `${this.path}.prev`;
  }

  async load(): Promise<State> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw error;
    }
    try {
      return parseState(JSON.parse(text), this.path);
    } catch (error) {
      // A newer env-reaper's state is refused as such, not called corrupt: upgrade, do not repair it.
      if (error instanceof FormatTooNewError) throw error;
      throw new StateCorruptError(
        this.path,
        error,
        `the state before the last save is ${this.previousPath} (check it, then copy it over ${this.path})`,
      );
    }
  }

  async save(state: State): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      // Durable before the rename makes it visible.
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Keep the state being replaced; a damaged file then has a way back (STATE_CORRUPT names it).
    await copyFile(this.path, this.previousPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(tmp, this.path);
  }

  async lock(owner: { runId: string }, options: { wait?: boolean; pollMs?: number } = {}): Promise<Lock> {
    await mkdir(dirname(this.path), { recursive: true });
    const me = { pid: process.pid, host: hostname(), runId: owner.runId, at: new Date().toISOString() };
    for (;;) {
      try {
        const handle = await open(this.lockPath, 'wx');
        await handle.writeFile(JSON.stringify(me));
        await handle.close();
        return {
          release: async () => {
            await unlink(this.lockPath).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let holder: { pid?: number; host?: string; runId?: string } = {};
      try {
        holder = JSON.parse(await readFile(this.lockPath, 'utf8')) as typeof holder;
      } catch {
        // Being written right now, or torn by a crash between create and write: treat as held.
      }
      if (holder.pid !== undefined && holder.host === me.host && !alive(holder.pid)) {
        // The holder died (SIGKILL, OOM): take the lock over.
        await unlink(this.lockPath).catch(() => undefined);
        continue;
      }
      if (!options.wait)
        throw new LockHeldError(
          `run ${holder.runId ?? '?'}, pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}`,
        );
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    }
  }
}

/** Appends JSON lines (the audit log). Each line is written with one `write` call in append mode. */
export class JsonLinesLog {
  constructor(readonly path: string) {}

  async append(entry: Record<string, unknown>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(this.path, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, {
      flag: 'a',
    });
  }
}
