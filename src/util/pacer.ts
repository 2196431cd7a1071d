/**
 * Spends a server-side rate budget instead of spreading requests evenly. Requests go at full
 * concurrency while the server says enough is left (`RateLimit-Remaining` above the reserve, a share
 * of `RateLimit-Limit` kept for the token's other users); at the reserve, nobody starts before the
 * window resets (`RateLimit-Reset`). Without rate-limit headers (a self-managed GitLab without limits)
 * nothing is paced. An optional client-side ceiling caps requests per window whatever the server says.
 *
 * Hand-written: the libraries we know (bottleneck, p-throttle) pace to a fixed rate and read no
 * server-side RateLimit headers.
 */

/** Options of a pacer. */
export interface PacerOptions {
  /** Share of the server's budget (0–1) left for other users of the token. */
  reserve: number;
  /** Optional client-side ceiling: at most this many request starts per `windowMs`. */
  ceiling?: number | undefined;
  /** The ceiling's window (GitLab's is one minute). */
  windowMs?: number;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
}

export class RequestPacer {
  private pausedUntil = 0;
  /** What the server said last: the limit, what was left, when its window resets (ms). */
  private server: { limit: number; remaining: number; resetAt: number } | undefined;
  /** Requests started and not answered yet: they spend budget the last answer does not know about. */
  private inFlight = 0;
  private ceilingWindow = { start: 0, count: 0 };
  private readonly now: () => number;

  constructor(private readonly options: PacerOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** Waits until this request may start. */
  async acquire(): Promise<void> {
    for (;;) {
      const wait = this.waitMs();
      if (wait <= 0) break;
      await this.options.sleep(wait);
    }
    this.inFlight++;
    this.ceilingWindow.count++;
  }

  /** How long the next request must wait (0: it may start now). */
  waitMs(): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    const { ceiling, windowMs = 60_000 } = this.options;
    if (ceiling !== undefined) {
      if (now - this.ceilingWindow.start >= windowMs) this.ceilingWindow = { start: now, count: 0 };
      if (this.ceilingWindow.count >= ceiling) return this.ceilingWindow.start + windowMs - now;
    }
    const s = this.server;
    if (!s || now >= s.resetAt) return 0;
    const keep = Math.ceil(s.limit * this.options.reserve);
    // The answers in flight have not counted our latest starts yet.
    if (s.remaining - this.inFlight > keep) return 0;
    return s.resetAt - now;
  }

  /** A request ended without rate-limit information (a network error, or a service without headers). */
  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** A request was answered: reads `RateLimit-Limit`, `-Remaining` and `-Reset`. */
  observe(headers: { get(name: string): string | null }): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const limit = Number(headers.get('ratelimit-limit'));
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    if (headers.get('ratelimit-remaining') === null || Number.isNaN(remaining)) return;
    const resetAt = reset > 0 ? reset * 1000 : this.now() + 60_000;
    if (remaining <= 0) this.pausedUntil = Math.max(this.pausedUntil, resetAt);
    if (!(limit > 0)) return;
    // Answers arrive out of order: within one window the lowest remaining is the freshest.
    const s = this.server;
    if (!s || resetAt !== s.resetAt || remaining < s.remaining) this.server = { limit, remaining, resetAt };
  }

  /** Holds every request back for `ms` (after a 429). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
