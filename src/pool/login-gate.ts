import type { Clock, TimerHandle } from '../clock.js';
import type { CredentialCache } from '../credentials/credential-cache.js';

/** The database's last refusal of a login: of which credentials, and how many times in a row. */
export interface Refusal {
  revision: number;
  username: string;
  error: unknown;
  count: number;
}

/** The longest a pool waits between logins with credentials the database refused. */
export const PROBE_INTERVAL_MS = 1_000;

export interface LoginGateHooks {
  /** Logins may be possible again (new credentials, or the next backoff step): serve the waiting checkouts. */
  retry(): void;
  /**
   * The source repeated the refused credentials: checkouts whose deadline comes before `nextLoginAt` cannot be helped.
   */
  failDue(nextLoginAt: number): void;
}

/**
 * Decides whether the pool may start a login. While the current credentials are refused, a login
 * with them is doomed: instead of each checkout making one (a login flood that RDS, PgBouncer's
 * server_login_retry and security monitoring all punish), the pool asks the source once
 * (single-flight, throttled by the credential cache) and the checkouts wait for its answer. New
 * credentials open the gate at once; the same ones again allow one login per backoff step.
 */
export class LoginGate {
  private last?: Refusal;
  /** A forced fetch after a refusal is under way. */
  private recovering = false;
  /** Since a refusal, the one login allowed at a time is under way. */
  private probing = false;
  private nextLoginAt = 0;
  private timer?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly credentials: CredentialCache,
    private readonly clock: Clock,
    private readonly hooks: LoginGateHooks,
  ) {}

  /** The last refusal, whatever credentials are current now. */
  get lastRefusal(): Refusal | undefined {
    return this.last;
  }

  /** The refusal of the credentials current now, if the database refused them. */
  get refusal(): Refusal | undefined {
    const last = this.last;
    return last && last.revision === this.credentials.revision ? last : undefined;
  }

  /**
   * The refusal a new checkout with this deadline cannot outlast: the current credentials were
   * refused, the source has already repeated them, and the next login is not due before the deadline.
   */
  refusalBlocking(deadline: number): Refusal | undefined {
    const refusal = this.refusal;
    return refusal && !this.recovering && deadline <= this.nextLoginAt ? refusal : undefined;
  }

  /**
   * Whether the pool may start one more login now. After a refusal, until a login is accepted, one
   * login at a time: a source that signs a new (but still refused) token on every forced fetch
   * would otherwise get a parallel burst of doomed logins per fetch.
   */
  allowsLogin(): boolean {
    if (!this.last) return true;
    if (this.probing) return false;
    if (this.refusal) {
      if (this.recovering) return false;
      const wait = this.nextLoginAt - this.clock.now();
      if (wait > 0) {
        this.retryIn(wait);
        return false;
      }
    }
    this.probing = true;
    return true;
  }

  accepted(revision: number): void {
    this.probing = false;
    if (this.last && revision >= this.last.revision) this.last = undefined;
  }

  /** A login failed for a reason other than the credentials. */
  failed(): void {
    this.probing = false;
  }

  /** The database refused credentials of `revision`: ask the source again, once for every checkout. */
  refused(revision: number, username: string, error: unknown): void {
    this.probing = false;
    const count = this.last?.revision === revision ? this.last.count + 1 : 1;
    this.last = { revision, username, error, count };
    if (revision !== this.credentials.revision || this.recovering) return;
    this.recovering = true;
    void this.credentials.recoverFromRejection(revision).then((wait) => {
      this.recovering = false;
      if (this.stopped) return;
      if (revision === this.credentials.revision) {
        // Logins with the same credentials again at most once a second, whatever the fetch backoff:
        // what was refused may be accepted again without a change (a clock put right, a role
        // re-enabled), and one login a second is no flood.
        this.nextLoginAt = this.clock.now() + Math.min(wait, PROBE_INTERVAL_MS);
        this.hooks.failDue(this.nextLoginAt);
      }
      this.hooks.retry();
    });
  }

  /** New credentials: logins with them may start at once. */
  credentialsChanged(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.stopped) this.hooks.retry();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private retryIn(wait: number): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.hooks.retry();
    }, wait);
  }
}
