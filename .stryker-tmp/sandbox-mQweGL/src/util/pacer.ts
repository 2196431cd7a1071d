/**
 * Spaces request starts to stay within a budget and pauses when the server says the budget is spent
 * (GitLab's `RateLimit-*` headers).
 * Hand-written: the libraries we know (bottleneck, p-throttle) do not read server-side RateLimit headers.
 */
// @ts-nocheck

export class RequestPacer {
  private nextStart = 0;
  private pausedUntil = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits for this request's slot. */
  async acquire(): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.nextStart, this.pausedUntil);
    this.nextStart = start + this.intervalMs;
    if (start > now) await this.sleep(start - now);
  }

  /** Reads `RateLimit-Remaining`/`-Reset`; at zero, nobody starts before the reset. */
  observe(headers: Headers): void {
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    if (headers.has('ratelimit-remaining') && remaining <= 0 && reset > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, reset * 1000);
    }
  }

  /** Holds every request back for `ms` (after a 429). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}
