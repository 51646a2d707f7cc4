import { CredentialSourceError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { redactSecrets } from '../errors/redact.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { CredentialFetchReason, CredentialProvider, Credentials } from './credential-provider.interface.js';

export interface CredentialCacheOptions {
  /** Backoff between forced (auth-failure) fetches while the database keeps refusing. */
  forcedRefreshBackoff?: BackoffPolicy;
  /** Backoff between retries after a failed scheduled fetch. */
  failedRefreshBackoff?: BackoffPolicy;
  random?: () => number;
}

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
  credentialRefreshes: number;
  credentialRefreshFailures: number;
  credentialRotations: number;
}

export type CredentialChangeListener = (previous: Credentials, next: Credentials) => void;

/** Margin before `expiresAt` from which credentials are renewed for new logins. */
const MAX_EXPIRY_MARGIN_MS = 30_000;
const EXPIRY_MARGIN_SHARE = 0.1;
/** Floor for the refresh timer, so a source that returns nearly-expired credentials cannot spin. */
const MIN_SCHEDULE_DELAY_MS = 250;

/**
 * Holds one connection's current credentials. Every fetch is single-flight (callers that
 * arrive while one is running share it); forced fetches after an auth failure are throttled
 * with backoff; a failed fetch keeps the last good credentials in use. The `revision`
 * counter lets a caller tell whether the credentials it was refused with are still current.
 */
export class CredentialCache {
  // An ES private field: util.inspect / console.log of the service never shows the password.
  #current?: Credentials;
  private currentFetchedAt = 0;
  private revisionCounter = 0;
  private inflight?: Promise<Credentials>;
  private forcedAttempts = 0;
  private nextForcedAt = 0;
  private consecutiveFailures = 0;
  private nextRetryAt = 0;
  private lastError?: { message: string; at: Date };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private changeListener?: CredentialChangeListener;
  private readonly forcedBackoff: BackoffPolicy;
  private readonly failedBackoff: BackoffPolicy;
  private readonly random: () => number;
  readonly counters: CredentialCounters = { credentialRefreshes: 0, credentialRefreshFailures: 0, credentialRotations: 0 };

  constructor(
    private readonly provider: CredentialProvider,
    options: CredentialCacheOptions = {},
  ) {
    this.forcedBackoff = options.forcedRefreshBackoff ?? DEFAULT_BACKOFF;
    this.failedBackoff = options.failedRefreshBackoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  get source(): string {
    return this.provider.name ?? 'custom';
  }

  /** Bumped whenever the username or password changes. */
  get revision(): number {
    return this.revisionCounter;
  }

  /** Called with the old and new credentials after every change. */
  onChange(listener: CredentialChangeListener): void {
    this.changeListener = listener;
  }

  /** First fetch, at startup: without credentials there is nothing to serve, so it throws. */
  async initialize(): Promise<Credentials> {
    return this.refresh('initial');
  }

  /** Credentials for a new login: the cached ones unless they are about to expire. */
  async get(): Promise<Credentials> {
    const current = this.#current;
    if (current && !this.isExpiring(current)) return current;
    if (current && Date.now() < this.nextRetryAt && !this.isExpired(current)) return current;
    try {
      return await this.refresh(current ? 'scheduled' : 'initial');
    } catch (error) {
      if (current && !this.isExpired(current)) return current;
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
    if (this.inflight) {
      await this.inflight.catch(() => undefined);
      return seenRevision !== this.revisionCounter ? 0 : this.forcedWait();
    }
    const wait = this.forcedWait();
    if (wait > 0) return wait;
    this.nextForcedAt = Date.now() + backoffDelay(this.forcedAttempts++, this.forcedBackoff, this.random);
    await this.refresh('auth-failure', this.#current).catch(() => undefined);
    return seenRevision !== this.revisionCounter ? 0 : this.forcedWait();
  }

  /** A login just worked: the next refusal may fetch at once again. */
  loginSucceeded(): void {
    this.forcedAttempts = 0;
    this.nextForcedAt = 0;
  }

  /** Single-flight fetch: concurrent callers share one call to the provider. */
  refresh(reason: CredentialFetchReason, rejected?: Credentials): Promise<Credentials> {
    this.inflight ??= this.fetchAndApply(reason, rejected).finally(() => {
      this.inflight = undefined;
      this.schedule();
    });
    return this.inflight;
  }

  status(): CredentialStatus {
    const current = this.#current;
    return {
      source: this.source,
      username: current?.username,
      version: current?.version,
      fetchedAt: current ? new Date(this.currentFetchedAt).toISOString() : undefined,
      expiresAt: current?.expiresAt?.toISOString(),
      lastError: this.lastError?.message,
      lastErrorAt: this.lastError?.at.toISOString(),
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inflight?.catch(() => undefined);
    await this.provider.close?.();
  }

  private async fetchAndApply(reason: CredentialFetchReason, rejected?: Credentials): Promise<Credentials> {
    let next: Credentials;
    try {
      next = checkShape(await this.provider.fetch({ reason, rejected }));
    } catch (error) {
      this.counters.credentialRefreshFailures++;
      this.consecutiveFailures++;
      this.nextRetryAt = Date.now() + backoffDelay(this.consecutiveFailures - 1, this.failedBackoff, this.random);
      const detail = redactSecrets(error instanceof Error ? error.message : String(error), [
        this.#current?.password,
        rejected?.password,
      ]);
      this.lastError = { message: detail, at: new Date() };
      throw new CredentialSourceError(
        this.#current ? messages.credentialFetchFailed(this.source, detail) : `${messages.noCredentialsYet(this.source)} (${detail})`,
        this.source,
      );
    }
    this.counters.credentialRefreshes++;
    this.consecutiveFailures = 0;
    this.nextRetryAt = 0;
    const previous = this.#current;
    this.#current = next;
    this.currentFetchedAt = Date.now();
    if (!previous || previous.username !== next.username || previous.password !== next.password) {
      this.revisionCounter++;
      if (previous) {
        this.counters.credentialRotations++;
        this.changeListener?.(previous, next);
      }
    }
    return next;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const delay = this.nextScheduledDelay();
    if (delay === undefined) return;
    this.timer = setTimeout(() => {
      this.refresh('scheduled').catch(() => undefined);
    }, Math.max(MIN_SCHEDULE_DELAY_MS, delay));
    this.timer.unref();
  }

  private nextScheduledDelay(): number | undefined {
    if (this.consecutiveFailures > 0) return this.nextRetryAt - Date.now();
    const candidates: number[] = [];
    const expiresAt = this.#current?.expiresAt?.getTime();
    if (expiresAt !== undefined) {
      const window = expiresAt - this.expiryMargin(this.#current!) - Date.now();
      // Replicas that fetched together renew over the last tenth of the window, not at once.
      candidates.push(window - this.random() * window * 0.1);
    }
    const interval = this.provider.refreshIntervalMs;
    if (interval !== undefined && interval > 0) candidates.push(interval - this.random() * interval * 0.1);
    const hinted = this.provider.nextRefreshAt?.();
    if (hinted) candidates.push(hinted.getTime() - Date.now());
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  }

  private forcedWait(): number {
    return Math.max(0, this.nextForcedAt - Date.now());
  }

  private isExpiring(credentials: Credentials): boolean {
    const expiresAt = credentials.expiresAt?.getTime();
    return expiresAt !== undefined && Date.now() >= expiresAt - this.expiryMargin(credentials);
  }

  private isExpired(credentials: Credentials): boolean {
    const expiresAt = credentials.expiresAt?.getTime();
    return expiresAt !== undefined && Date.now() >= expiresAt;
  }

  private expiryMargin(credentials: Credentials): number {
    const life = (credentials.expiresAt?.getTime() ?? 0) - this.currentFetchedAt;
    return Math.min(MAX_EXPIRY_MARGIN_MS, Math.max(0, life) * EXPIRY_MARGIN_SHARE);
  }
}

function checkShape(credentials: Credentials): Credentials {
  if (typeof credentials?.username !== 'string' || credentials.username === '' || typeof credentials.password !== 'string') {
    throw new TypeError('the provider returned no { username, password } strings');
  }
  return credentials;
}
