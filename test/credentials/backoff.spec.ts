import { Backoff } from '../../src/credentials/backoff.js';
import { ManualClock } from '../support/manual-clock.js';

const maxJitter = () => 1;
const halfJitter = () => 0.5;

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
