import { formatDuration } from '../common/duration.js';
import {
  DatabaseAuthError,
  DatabaseConnectionError,
  DatabaseConnectionTimeoutError,
  DatabasePoolClosedError,
  RotatingPgError,
} from '../errors/errors.js';
import { hintFor } from '../errors/login-errors.js';
import { hints, messages } from '../errors/messages.js';
import type { PoolCounters } from './pool-stats.js';

/**
 * The refused logins a checkout saw: how many, the credentials revision current when it asked, and that of the last
 * refusal.
 */
export interface RefusedLogins {
  refusals: number;
  firstRevision: number;
  revision: number;
}

export interface CheckoutErrorsContext {
  name: string;
  address: string;
  connectionTimeoutMs: number;
  counters: PoolCounters;
  logError(message: string): void;
}

/**
 * What a failed checkout throws: the module's typed errors, each with the fix, and with what pg
 * or the server said as the cause. Refusals the checkout gave up on are logged once per
 * credentials revision, not once per caller.
 */
export class CheckoutErrors {
  /** The credentials revision whose refused logins were last logged as given up. */
  private gaveUpAtRevision?: number;

  constructor(private readonly context: CheckoutErrorsContext) {}

  closed(): DatabasePoolClosedError {
    return new DatabasePoolClosedError(messages.poolClosed(this.context.name), this.context.name);
  }

  /** A connection could not be opened for a reason the credentials cannot cure. */
  connectFailed(error: unknown, username: string): Error {
    if (error instanceof RotatingPgError) return error;
    const { code, message } = (error ?? {}) as { code?: string; message?: string };
    const hint = hintFor(error, username);
    return new DatabaseConnectionError(
      messages.connectFailed(this.context.address, username, message ?? String(error), hint),
      code,
      hint,
      { cause: error },
    );
  }

  /** No connection came free and no login finished within connectionTimeout. */
  timedOut(): DatabaseConnectionTimeoutError {
    this.context.counters.connectionTimeouts++;
    return new DatabaseConnectionTimeoutError(
      messages.connectionTimeout(formatDuration(this.context.connectionTimeoutMs), hints.timeout),
      hints.timeout,
    );
  }

  /** The checkout gives up on refused logins: the caller gets the error, the log one line per credentials revision. */
  gaveUpOnLogin(error: unknown, username: string, logins: RefusedLogins): DatabaseAuthError {
    const { refusals, firstRevision, revision } = logins;
    const hint = hintFor(error);
    const { code, message } = error as { code?: string; message?: string };
    const credentialsTried = revision - firstRevision + 1;
    const authError = new DatabaseAuthError(
      messages.authFailed(username, message ?? 'login refused', refusals, credentialsTried, hint),
      code,
      hint,
      { cause: error },
    );
    if (this.gaveUpAtRevision !== revision) {
      this.gaveUpAtRevision = revision;
      this.context.logError(authError.message);
    }
    return authError;
  }
}
