import type pg from 'pg';
import type { CheckoutErrors } from './checkout-errors.js';
import type { Refusal } from './login-gate.js';

/**
 * One caller waiting for a connection, from `acquire()` until it is answered: its deadline, the
 * credentials revision current when it asked, and the logins the database refused while it
 * waited. Whatever the pool tries for it (an idle connection coming back, a login, logins retried
 * after a refusal) ends in exactly one answer: a client handed over, or one error.
 */
export class Checkout {
  /** Logins the database refused while it waited. */
  refusals: number;

  constructor(
    private readonly resolve: (client: pg.PoolClient) => void,
    private readonly reject: (error: Error) => void,
    /** When its connectionTimeout runs out. */
    readonly deadline: number,
    /** When it started waiting, for waitDurationMs; undefined when it waited only for a login, not for a busy pool. */
    readonly waitedForBusyPoolSince: number | undefined,
    /** performance.now() when it asked, for the wait-time metric only. */
    readonly askedAt: number,
    /** The credentials revision current when it asked. */
    readonly firstRevision: number,
    refusals: number,
  ) {
    this.refusals = refusals;
  }

  handOver(client: pg.PoolClient): void {
    this.resolve(client);
  }

  fail(error: Error): void {
    this.reject(error);
  }

  /**
   * Gives up on the credentials the database refused: the caller hears about the refusal, with every one it waited
   * through.
   */
  giveUpOn(refusal: Refusal, errors: CheckoutErrors): void {
    const logins = {
      refusals: Math.max(1, this.refusals),
      firstRevision: this.firstRevision,
      revision: refusal.revision,
    };
    this.reject(errors.gaveUpOnLogin(refusal.error, refusal.username, logins));
  }
}
