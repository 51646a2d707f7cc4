import type { Clock, TimerHandle } from '../clock.js';
import type { CredentialProvider, Credentials } from './credential-provider.interface.js';
import { MAX_DURATION_MS } from '../common/duration.js';
import { expiryMargin, usableUntil } from './expiry.js';

/** Floor for the refresh timer, so a source that returns nearly-expired credentials cannot spin. */
const MIN_SCHEDULE_DELAY_MS = 250;
/** Replicas that fetched together renew over the last tenth of a window, not at once. */
const JITTER_SHARE = 0.1;

export interface ScheduleInputs {
  current?: Credentials;
  fetchedAt: number;
  provider: Pick<CredentialProvider, 'refreshIntervalMs' | 'nextRefreshAt'>;
  /** Set while fetches fail: the retry is due in this many ms. */
  retryIn?: number;
}

/**
 * When to fetch next without being asked: before `expiresAt` or `sessionsEndAt` (less a margin), every
 * `refreshIntervalMs`, at the source's own hint, whichever comes first, each with jitter; after a
 * failure, when the backoff says. Undefined when nothing calls for a refresh.
 */
export function nextRefreshDelay(inputs: ScheduleInputs, now: number, random: () => number): number | undefined {
  if (inputs.retryIn !== undefined) return inputs.retryIn;
  const candidates: number[] = [];
  const { current, provider } = inputs;
  const until = current && usableUntil(current);
  if (current && until !== undefined) {
    const window = until - expiryMargin(current, inputs.fetchedAt) - now;
    candidates.push(window - random() * window * JITTER_SHARE);
  }
  const interval = provider.refreshIntervalMs;
  if (interval !== undefined && interval > 0) candidates.push(interval - random() * interval * JITTER_SHARE);
  const hinted = provider.nextRefreshAt?.();
  if (hinted) candidates.push(hinted.getTime() - now);
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}

/** The one timer that runs a scheduled refresh. */
export class RefreshTimer {
  private timer?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly refresh: () => void,
  ) {}

  /** Replaces any planned refresh with one after `delay` (none when undefined or stopped). */
  plan(delay: number | undefined): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || delay === undefined) return;
    // Node fires a longer timer after 1 ms: a far expiry (a custom source's) would fetch in a loop. Past
    // the limit, the timer wakes early and the refresh plans the next step again.
    this.timer = this.clock.setTimeout(this.refresh, Math.min(MAX_DURATION_MS, Math.max(MIN_SCHEDULE_DELAY_MS, delay)));
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }
}
