import { type Clock, systemClock } from '../clock.js';
import { settleWithin } from '../common/time-limit.js';
import { CredentialSourceError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { redactSecrets, safeErrorCode } from '../errors/redact.js';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
import type { CredentialFetchReason, CredentialProvider, Credentials } from './credential-provider.interface.js';
import { isExpired, isExpiring } from './expiry.js';
import type { CredentialEvents } from './credential-events.js';
import { emptyFetchCounts, type FetchCounts } from './credential-events.js';
import { nextRefreshDelay, RefreshTimer } from './refresh-schedule.js';
import { SingleFlight } from './single-flight.js';

export interface CredentialCacheOptions {
  /** Backoff between forced (auth-failure) fetches while the database keeps refusing. */
  forcedRefreshBackoff?: BackoffPolicy;
  /** Backoff between retries after a failed scheduled fetch. */
  failedRefreshBackoff?: BackoffPolicy;
  random?: () => number;
  clock?: Clock;
  /** How long `close()` waits for a fetch in flight (and the source's own close). Default 5 s. */
  closeTimeoutMs?: number;
}

/**
 * Shutdown waits this long for a fetch in flight, then goes on: a source that hangs must not eat
 * Kubernetes' grace period (30 s for everything), and the fetched credentials would go unused.
 */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** What the credential source is doing, for stats and health. Never holds a secret. */
export interface CredentialStatus {
  source: string;
  username?: string;
  version?: string;
  fetchedAt?: string;
  expiresAt?: string;
  /** Redacted message of the most recent failed fetch, kept after recovery for diagnosis. */
  lastError?: string;
  lastErrorAt?: string;
  /** Failed fetches since the last good one; above 0 means "serving cached credentials". */
  consecutiveFailures: number;
}

export interface CredentialCounters {
  /** Fetches that returned credentials. */
  credentialRefreshes: number;
  /** Fetches that failed. */
  credentialRefreshFailures: number;
  /** Fetches whose credentials differed from the ones held. */
  credentialRotations: number;
  /** The same fetches by why they ran: initial, scheduled, auth-failure, manual. */
  credentialFetches: FetchCounts;
}

/**
 * Holds one connection's current credentials and decides when to fetch new ones. Each policy
 * lives in its own class: fetches are single-flight, forced fetches after a refused login are
 * throttled, failed fetches back off while the last good credentials keep serving, and one timer
 * renews them on schedule. The `revision` counter lets a caller tell whether the credentials it
 * was refused with are still current.
 */
export class CredentialCache {
  // An ES private field: util.inspect / console.log of the service never shows the password.
  #current?: Credentials;
  private fetchedAt = 0;
  private revisionCounter = 0;
  private lastError?: { message: string; at: number };
  /** The error of the last failed fetch, until a fetch succeeds. */
  private lastFailure?: CredentialSourceError;
  private readonly subscribers: CredentialEvents[] = [];
  private readonly fetches = new SingleFlight<Credentials>();
  /**
   * Forced fetches after refused logins: at once the first time, then backing off while the database keeps refusing.
   */
  private readonly forced: Backoff;
  /** Failed fetches in a row: the cached credentials serve until the next try is due. */
  private readonly failures: Backoff;
  private readonly timer: RefreshTimer;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly closeTimeoutMs: number;
  readonly counters: CredentialCounters = {
    credentialRefreshes: 0,
    credentialRefreshFailures: 0,
    credentialRotations: 0,
    credentialFetches: emptyFetchCounts(),
  };

  constructor(
    private readonly provider: CredentialProvider,
    options: CredentialCacheOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.forced = new Backoff(options.forcedRefreshBackoff ?? DEFAULT_BACKOFF, this.clock, this.random);
    this.failures = new Backoff(options.failedRefreshBackoff ?? DEFAULT_BACKOFF, this.clock, this.random);
    this.timer = new RefreshTimer(this.clock, () => {
      this.refresh('scheduled').catch(() => undefined);
    });
  }

  get source(): string {
    return this.provider.name ?? 'custom';
  }

  /** Bumped whenever the username or password changes. */
  get revision(): number {
    return this.revisionCounter;
  }

  /** Tells `events` of every fetch, failed fetch and change from now on. */
  subscribe(events: CredentialEvents): void {
    this.subscribers.push(events);
  }

  /** First fetch, at startup: without credentials there is nothing to serve, so it throws. */
  async initialize(): Promise<Credentials> {
    return this.refresh('initial');
  }

  /** Credentials for a new login: the cached ones unless they are about to expire. */
  async get(): Promise<Credentials> {
    const current = this.#current;
    const now = this.clock.now();
    if (current && !isExpiring(current, this.fetchedAt, now)) return current;
    if (this.failures.wait() > 0) {
      if (current && !isExpired(current, now)) return current;
      // Nothing usable, and the source failed moments ago: every login must not ask it again before its backoff step.
      if (this.lastFailure) throw this.lastFailure;
    }
    try {
      return await this.refresh(current ? 'scheduled' : 'initial');
    } catch (error) {
      if (current && !isExpired(current, this.clock.now())) return current;
      throw error;
    }
  }

  /**
   * The database refused credentials of `seenRevision`. Fetches new ones unless someone
   * already did, or a forced fetch happened too recently. Returns how long to wait before
   * the next login attempt: 0 when the credentials changed.
   */
  async recoverFromRejection(seenRevision: number): Promise<number> {
    if (seenRevision !== this.revisionCounter) return 0;
    const running = this.fetches.running;
    if (running) {
      await running.catch(() => undefined);
      return seenRevision !== this.revisionCounter ? 0 : this.forced.wait();
    }
    const wait = this.forced.wait();
    if (wait > 0) return wait;
    this.forced.step();
    await this.refresh('auth-failure', this.#current).catch(() => undefined);
    return seenRevision !== this.revisionCounter ? 0 : this.forced.wait();
  }

  /** A login just worked: the next refusal may fetch at once again. */
  loginSucceeded(): void {
    this.forced.reset();
  }

  /** Single-flight fetch: concurrent callers share one call to the provider. */
  refresh(reason: CredentialFetchReason, rejected?: Credentials): Promise<Credentials> {
    return this.fetches.run(() => this.fetchAndApply(reason, rejected).finally(() => this.planNextRefresh()));
  }

  status(): CredentialStatus {
    const current = this.#current;
    return {
      source: this.source,
      username: current?.username,
      // A custom provider's version is not ours to trust: redacted as in the log lines.
      version: current?.version && this.redact(current.version),
      fetchedAt: current ? new Date(this.fetchedAt).toISOString() : undefined,
      expiresAt: current?.expiresAt?.toISOString(),
      lastError: this.lastError?.message,
      lastErrorAt: this.lastError ? new Date(this.lastError.at).toISOString() : undefined,
      consecutiveFailures: this.failures.attempts,
    };
  }

  /** Removes the credentials this cache holds, and any DSN password, from text shown to others. */
  redact(text: string): string {
    return redactSecrets(text, [this.#current?.password]);
  }

  async close(): Promise<void> {
    this.timer.stop();
    const closing = (async () => {
      await this.fetches.running?.catch(() => undefined);
      await this.provider.close?.();
    })();
    await settleWithin(closing, this.closeTimeoutMs, () => undefined, this.clock);
  }

  private async fetchAndApply(reason: CredentialFetchReason, rejected?: Credentials): Promise<Credentials> {
    let next: Credentials;
    try {
      next = checkShape(await this.provider.fetch({ reason, rejected }));
    } catch (error) {
      throw this.fetchFailed(error, reason, rejected);
    }
    this.counters.credentialRefreshes++;
    this.counters.credentialFetches[reason].succeeded++;
    const failuresBefore = this.failures.attempts;
    this.failures.reset();
    this.lastFailure = undefined;
    const previous = this.#current;
    this.#current = next;
    this.fetchedAt = this.clock.now();
    const changed =
      previous !== undefined && (previous.username !== next.username || previous.password !== next.password);
    if (!previous || changed) this.revisionCounter++;
    if (changed) this.counters.credentialRotations++;
    for (const subscriber of this.subscribers) {
      if (changed) subscriber.changed?.(previous, next);
      subscriber.fetched?.({ reason, credentials: next, previous, changed, failuresBefore });
    }
    return next;
  }

  private fetchFailed(error: unknown, reason: CredentialFetchReason, rejected?: Credentials): CredentialSourceError {
    this.counters.credentialRefreshFailures++;
    this.counters.credentialFetches[reason].failed++;
    this.failures.step();
    // A source's message may quote a secret; only a redacted copy is kept or shown.
    const detail = redactSecrets(error instanceof Error ? error.message : String(error), [
      this.#current?.password,
      rejected?.password,
    ]);
    this.lastError = { message: detail, at: this.clock.now() };
    const current = this.#current;
    const failed = {
      reason,
      detail,
      servingCached: current !== undefined && !isExpired(current, this.clock.now()),
      consecutiveFailures: this.failures.attempts,
      retryInMs: this.failures.wait(),
    };
    for (const subscriber of this.subscribers) subscriber.fetchFailed?.(failed);
    // The source's own error may quote a secret anywhere (message, fields, its causes): only its
    // name and redacted message go on, with the codes that tell denied from throttled.
    const cause = new Error(detail);
    cause.name = error instanceof Error ? error.name : 'Error';
    this.lastFailure = new CredentialSourceError(
      this.#current
        ? messages.credentialFetchFailed(this.source, detail)
        : messages.noCredentialsYet(this.source, detail),
      this.source,
      { cause, ...safeErrorCode(error) },
    );
    return this.lastFailure;
  }

  private planNextRefresh(): void {
    const inputs = {
      current: this.#current,
      fetchedAt: this.fetchedAt,
      provider: this.provider,
      retryIn: this.failures.attempts > 0 ? this.failures.wait() : undefined,
    };
    this.timer.plan(nextRefreshDelay(inputs, this.clock.now(), this.random));
  }
}

function checkShape(credentials: Credentials): Credentials {
  if (
    typeof credentials?.username !== 'string' ||
    credentials.username === '' ||
    typeof credentials.password !== 'string'
  ) {
    throw new TypeError(messages.providerAnswerMalformed());
  }
  return credentials;
}
