import { describe, expect, it } from 'vitest';
import { RequestPacer } from './pacer.js';

function clocked(options: { reserve: number; ceiling?: number; windowMs?: number }) {
  let t = 1_000_000;
  const waits: number[] = [];
  const pacer = new RequestPacer({
    ...options,
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
  });
  const headers = (limit: number, remaining: number, resetSec: number) =>
    new Headers({
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(resetSec),
    });
  return { pacer, waits, headers, now: () => t };
}

describe('RequestPacer', () => {
  it('without rate-limit headers, never waits', async () => {
    const { pacer, waits } = clocked({ reserve: 0.5 });
    for (let i = 0; i < 500; i++) {
      await pacer.acquire();
      pacer.observe(new Headers());
    }
    expect(waits).toEqual([]);
  });

  it('spends the budget at full speed down to the reserve, then waits for the reset', async () => {
    const { pacer, waits, headers, now } = clocked({ reserve: 0.5 });
    const reset = Math.ceil(now() / 1000) + 60;
    let remaining = 2000;
    for (let i = 0; i < 999; i++) {
      await pacer.acquire();
      pacer.observe(headers(2000, --remaining, reset));
    }
    expect(waits).toEqual([]);
    expect(remaining).toBe(1001);
    await pacer.acquire();
    pacer.observe(headers(2000, --remaining, reset));
    // 1,000 left is the reserve: the next request waits for the window to reset.
    await pacer.acquire();
    expect(waits).toHaveLength(1);
    expect(now()).toBe(reset * 1000);
  });

  it('counts requests in flight against what the last answer said', async () => {
    const { pacer, waits, headers, now } = clocked({ reserve: 0.5 });
    await pacer.acquire();
    pacer.observe(headers(100, 55, Math.ceil(now() / 1000) + 30));
    // 55 left, 50 kept: five more may start before any answer comes back, the sixth waits.
    for (let i = 0; i < 5; i++) await pacer.acquire();
    expect(waits).toEqual([]);
    expect(pacer.waitMs()).toBeGreaterThan(0);
  });

  it('after a 429 (remaining 0, or a pause) nobody starts before the reset', async () => {
    const { pacer, waits, headers, now } = clocked({ reserve: 0 });
    await pacer.acquire();
    pacer.observe(headers(100, 0, Math.ceil(now() / 1000) + 10));
    await pacer.acquire();
    expect(waits[0]).toBeGreaterThanOrEqual(9_000);
    pacer.pause(5_000);
    const before = now();
    await pacer.acquire();
    expect(now() - before).toBe(5_000);
  });

  it('a client-side ceiling caps starts per window whatever the server says', async () => {
    const { pacer, waits } = clocked({ reserve: 0, ceiling: 3, windowMs: 1000 });
    for (let i = 0; i < 7; i++) await pacer.acquire();
    expect(waits).toEqual([1000, 1000]);
  });
});
