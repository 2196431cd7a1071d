/** Counts API calls and errors per service and operation, for reports, logs and metrics. */
export class ApiStats {
  private readonly calls = new Map<string, number>();
  private readonly errors = new Map<string, number>();

  /** Forgets every count: a long-lived process (the daemon) reports each run on its own. */
  reset(): void {
    this.calls.clear();
    this.errors.clear();
    this.retried.clear();
  }

  /** Records one call (each HTTP attempt counts, retries included: they cost rate limit). */
  call(service: string, operation: string, failed = false): void {
    const key = `${service}\u0000${operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    if (failed) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /** `{ gitlab: { 'GET /projects/:id': 3 } }`. */
  snapshot(): {
    calls: Record<string, Record<string, number>>;
    errors: Record<string, Record<string, number>>;
  } {
    const fold = (m: Map<string, number>) => {
      const out: Record<string, Record<string, number>> = {};
      for (const [key, n] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const [service, op] = key.split('\u0000') as [string, string];
        out[service] = { ...out[service], [op]: n };
      }
      return out;
    };
    return { calls: fold(this.calls), errors: fold(this.errors) };
  }

  /** Total calls per service. */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.calls) {
      const service = key.split('\u0000')[0] as string;
      out[service] = (out[service] ?? 0) + n;
    }
    return out;
  }

  private readonly retried = new Map<string, { retries: number; waitedMs: number; lastStatus: string }>();

  /** Records one retry of a call to `host` (a service name), the wait before it and what caused it. */
  retry(host: string, cause: number | string, waitMs: number): void {
    const r = this.retried.get(host) ?? { retries: 0, waitedMs: 0, lastStatus: '' };
    r.retries++;
    r.waitedMs += waitMs;
    r.lastStatus = String(cause);
    this.retried.set(host, r);
  }

  /** Retries per host: `{ gitlab: { retries: 4, waitedMs: 3200, lastStatus: '429' } }`. */
  retries(): Record<string, { retries: number; waitedMs: number; lastStatus: string }> {
    return Object.fromEntries(this.retried);
  }
}
