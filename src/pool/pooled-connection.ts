import { inspect } from 'node:util';
import type pg from 'pg';
import type { TimerHandle } from '../clock.js';
import type { CloseReason } from './pool-stats.js';

/**
 * Where a physical connection is in its life. `settling`: given back right after an error, before
 * the server's ReadyForQuery said whether the session is still clean; it waits for that message.
 */
export type ConnectionState = 'opening' | 'idle' | 'busy' | 'settling' | 'closed';

/** One physical connection, from the credentials fetch before its login to its close. */
export class PooledConnection {
  /** Set once its login starts (the credentials are fetched first, so no socket exists before). */
  client?: pg.PoolClient;
  username = '';
  /** The credentials revision it logged in (or tried to) with. */
  revision = 0;
  state: ConnectionState = 'opening';
  /** `Credentials.sessionsEndAt` of its login, in ms: its deadline comes before. */
  sessionsEndAt?: number;
  /** opened + lifetime − jitter: never handed out at or after this instant. */
  deadline = Infinity;
  /** When it last became idle: the surplus check closes the longest idle first. */
  idleSince = 0;
  /** performance.now() at hand-out, for the use-time metric only. */
  handedOutAt = 0;
  /** Its socket reported an error or ended: it is never reused. */
  broken = false;
  lifetimeTimer?: TimerHandle;
  /** Closes it once it has been idle for connectionMaxIdleTime; armed when it first goes idle. */
  idleTimer?: TimerHandle;
  /** Set once a close is decided, and counted then. */
  closeReason?: CloseReason;

  /**
   * What `util.inspect` shows of it, without its client: until the login ends, pg holds the password on the client (a
   * hidden property, shown with `showHidden`), and a log line or an error reporter may dump the whole service.
   */
  [inspect.custom](): object {
    const { username, revision, state, deadline, closeReason } = this;
    return { username, revision, state, deadline, closeReason };
  }
}
