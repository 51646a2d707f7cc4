import type { EventEmitter } from 'node:events';
import type pg from 'pg';

/** pg.Pool's events, emitted on the pg.Pool handed to ORMs. */
const POOL_EVENTS = ['connect', 'acquire', 'release', 'remove', 'error'] as const;
type PoolEvent = (typeof POOL_EVENTS)[number];

/**
 * The pool's events, emitted on a sink (the pg.Pool ORMs get) from each event's first listener on:
 * until someone listens, a checkout pays one Set lookup, not an emit.
 */
export class PoolEvents {
  private sink?: EventEmitter;
  private readonly listened = new Set<PoolEvent>();

  emitOn(sink: EventEmitter): void {
    this.sink = sink;
    sink.on('newListener', (event: string | symbol) => {
      if (POOL_EVENTS.includes(event as PoolEvent)) this.listened.add(event as PoolEvent);
    });
  }

  connect(client: pg.PoolClient): void {
    if (this.listened.has('connect')) this.sink!.emit('connect', client);
  }

  acquire(client: pg.PoolClient): void {
    if (this.listened.has('acquire')) this.sink!.emit('acquire', client);
  }

  release(error: Error | undefined, client: pg.PoolClient): void {
    if (this.listened.has('release')) this.sink!.emit('release', error, client);
  }

  remove(client: pg.PoolClient): void {
    if (this.listened.has('remove')) this.sink!.emit('remove', client);
  }

  /**
   * A connection failed while idle: pg.Pool's contract is to emit it, and to crash the process when
   * nobody listens. Ours is already counted and logged, so without a listener (now) it is not emitted.
   * Never called for a routine close.
   */
  idleConnectionFailed(error: Error, client: pg.PoolClient): void {
    if (this.sink && this.sink.listenerCount('error') > 0) this.sink.emit('error', error, client);
  }
}
