import { nextRefreshDelay, RefreshTimer } from '../../src/credentials/refresh-schedule.js';
import { ManualClock } from '../support/manual-clock.js';

const maxJitter = () => 1;

describe('nextRefreshDelay', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const current = { username: 'app', password: 'token', expiresAt: new Date(now + 600_000) };

  it('takes the earliest of expiry, interval and hint, each pulled in by jitter', () => {
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: {} }, now, maxJitter)).toBe(513_000);
    expect(nextRefreshDelay({ current, fetchedAt: now, provider: { refreshIntervalMs: 60_000 } }, now, maxJitter)).toBe(
      54_000,
    );
    expect(
      nextRefreshDelay(
        { current, fetchedAt: now, provider: { nextRefreshAt: () => new Date(now + 5_000) } },
        now,
        maxJitter,
      ),
    ).toBe(5_000);
  });

  it('follows the failure backoff while fetches fail, and plans nothing without a reason', () => {
    expect(
      nextRefreshDelay(
        { current, fetchedAt: now, provider: { refreshIntervalMs: 60_000 }, retryIn: 2_000 },
        now,
        maxJitter,
      ),
    ).toBe(2_000);
    expect(
      nextRefreshDelay({ current: { username: 'app', password: 'pw' }, fetchedAt: now, provider: {} }, now, maxJitter),
    ).toBeUndefined();
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
