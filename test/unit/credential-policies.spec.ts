import { isExpired, isExpiring } from '../../src/credentials/expiry.js';
import { Backoff } from '../../src/credentials/backoff.js';
import { nextRefreshDelay, RefreshTimer } from '../../src/credentials/refresh-schedule.js';
import { SingleFlight } from '../../src/credentials/single-flight.js';
import { ManualClock } from '../support/manual-clock.js';

const maxJitter = () => 1;
const halfJitter = () => 0.5;

describe('SingleFlight', () => {
  it('shares a running job and starts a new one after it settles, also after a failure', async () => {
    const flight = new SingleFlight<number>();
    let started = 0;
    const job = (result: number | Error) => () => (started++, result instanceof Error ? Promise.reject(result) : Promise.resolve(result));
    const [a, b] = await Promise.all([flight.run(job(1)), flight.run(job(2))]);
    expect([a, b, started]).toEqual([1, 1, 1]);
    expect(flight.running).toBeUndefined();
    await expect(flight.run(job(new Error('down')))).rejects.toThrow('down');
    await expect(flight.run(job(3))).resolves.toBe(3);
    expect(started).toBe(3);
  });
});

describe('Backoff', () => {
  it('allows an attempt at once, then doubles the wait up to the cap, with equal jitter', () => {
    const clock = new ManualClock();
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 4_000 }, clock, halfJitter);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      waits.push(backoff.wait());
      backoff.step();
      waits.push(backoff.wait());
    }
    // Stepped back to back: each wait is the new step (half fixed, half the jitter's share).
    expect(waits).toEqual([0, 750, 750, 1_500, 1_500, 3_000, 3_000, 3_000]);
    expect(backoff.attempts).toBe(4);
    backoff.reset();
    expect([backoff.wait(), backoff.attempts]).toEqual([0, 0]);
  });

  it('counts down with the clock', async () => {
    const clock = new ManualClock();
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 20_000 }, clock, maxJitter);
    backoff.step();
    backoff.step();
    expect(backoff.wait()).toBe(2_000);
    await clock.advance(1_500);
    expect(backoff.wait()).toBe(500);
    await clock.advance(500);
    expect(backoff.wait()).toBe(0);
  });
});

describe('expiry', () => {
  const fetchedAt = Date.parse('2026-01-01T00:00:00Z');
  const token = (lifeMs: number) => ({ username: 'app', password: 'token', expiresAt: new Date(fetchedAt + lifeMs) });

  it('renews a 15 minute token 30 s before it expires, a short-lived one a tenth of its life before', () => {
    expect(isExpiring(token(900_000), fetchedAt, fetchedAt + 869_999)).toBe(false);
    expect(isExpiring(token(900_000), fetchedAt, fetchedAt + 870_000)).toBe(true);
    expect(isExpiring(token(10_000), fetchedAt, fetchedAt + 8_999)).toBe(false);
    expect(isExpiring(token(10_000), fetchedAt, fetchedAt + 9_000)).toBe(true);
    expect(isExpired(token(10_000), fetchedAt + 9_999)).toBe(false);
    expect(isExpired(token(10_000), fetchedAt + 10_000)).toBe(true);
  });

  it('never expires credentials without expiresAt', () => {
    const password = { username: 'app', password: 'pw' };
    expect([isExpiring(password, fetchedAt, Infinity), isExpired(password, Infinity)]).toEqual([false, false]);
  });
});

describe('nextRefreshDelay', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const current = { username: 'app', password: 'token', expiresAt: new Date(now + 600_000) };

  it('takes the earliest of expiry, interval and hint, each pulled in by jitter', () => {
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: {} }, now, maxJitter)).toBe(513_000);
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: { refreshIntervalMs: 60_000 } }, now, maxJitter)).toBe(54_000);
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: { nextRefreshAt: () => new Date(now + 5_000) } }, now, maxJitter)).toBe(5_000);
  });

  it('follows the failure backoff while fetches fail, and plans nothing without a reason', () => {
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: { refreshIntervalMs: 60_000 }, retryIn: 2_000 }, now, maxJitter)).toBe(2_000);
    expect(nextRefreshDelay({ current: { username: 'app', password: 'pw' }, fetchedAt: now, provider: {} }, now, maxJitter)).toBeUndefined();
  });
});

describe('RefreshTimer', () => {
  it('keeps one timer, never below its floor, and none once stopped', async () => {
    const clock = new ManualClock();
    let fired = 0;
    const timer = new RefreshTimer(clock, () => fired++);
    timer.plan(10_000);
    timer.plan(0);
    expect(clock.pending).toBe(1);
    await clock.advance(249);
    expect(fired).toBe(0);
    await clock.advance(1);
    expect(fired).toBe(1);
    timer.plan(1_000);
    timer.stop();
    timer.plan(1_000);
    await clock.advance(60_000);
    expect([fired, clock.pending]).toEqual([1, 0]);
  });
});
