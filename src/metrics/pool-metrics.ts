import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import { CLOSE_FIELD, type CloseReason, type DatabaseStats } from '../pool/pool-stats.js';
import type { PoolTimings } from '../pool/pool-timings.js';
import { BufferedHistogram } from './buffered-histogram.js';
import { attributes, metricNames as names } from './metric-names.js';

/** What the instruments read at each collection. */
export interface PoolMetricsSource {
  poolName: string;
  maxIdleConnections: number;
  stats(): DatabaseStats;
}

/**
 * A connection pool's instruments; `timings` feeds the histograms (none without them), `stop` unregisters the observers
 * at shutdown.
 */
export interface PoolMetrics {
  timings?: PoolTimings;
  stop(): void;
}

/** Seconds; from sub-millisecond loopback checkouts to logins through a slow network. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const CLOSE_REASON_VALUE: Record<CloseReason, string> = {
  lifetime: 'lifetime',
  idleTime: 'idle_time',
  maxIdle: 'max_idle',
  error: 'error',
  rotation: 'rotation',
  shutdown: 'shutdown',
};

/**
 * Registers one pool's instruments. Everything countable is observed from `stats()` at
 * collection time (nothing on the query path, and the exported values always agree with
 * `stats()`); only the three durations are recorded as they happen. Every data point carries
 * `db.client.connection.pool.name`, so pools never share a series. No attribute holds a
 * secret, a username or a credential version.
 */
export function registerPoolMetrics(meter: Meter, source: PoolMetricsSource, { durations = true } = {}): PoolMetrics {
  const pool: Attributes = { [attributes.poolName]: source.poolName };
  const histogram = (name: string, description: string) =>
    new BufferedHistogram(
      meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
      pool,
    );
  // durationMetrics: false creates no histogram at all, rather than three that stay empty.
  const histograms = durations
    ? {
        createTime: histogram(names.createTime, 'The time it took to create a new connection (socket, TLS and login).'),
        waitTime: histogram(names.waitTime, 'The time it took to obtain an open connection from the pool.'),
        useTime: histogram(names.useTime, 'The time between borrowing a connection and returning it to the pool.'),
      }
    : undefined;
  const flushDurations = () => Object.values(histograms ?? {}).forEach((recorded) => recorded.flush());

  const count = meter.createObservableUpDownCounter(names.count, {
    description: 'Connections open, by state (idle or used).',
    unit: '{connection}',
  });
  const idleMax = meter.createObservableUpDownCounter(names.idleMax, {
    description: 'The most idle connections kept open (maxIdleConnections).',
    unit: '{connection}',
  });
  const idleMin = meter.createObservableUpDownCounter(names.idleMin, {
    description: 'The fewest idle connections kept open (always 0: idle ones close on their own rules).',
    unit: '{connection}',
  });
  const max = meter.createObservableUpDownCounter(names.max, {
    description: 'The most open connections allowed (maxOpenConnections).',
    unit: '{connection}',
  });
  const pending = meter.createObservableUpDownCounter(names.pendingRequests, {
    description: 'Checkouts waiting for a connection.',
    unit: '{request}',
  });
  const timeouts = meter.createObservableCounter(names.timeouts, {
    description: 'Checkouts that got no connection within connectionTimeout.',
    unit: '{timeout}',
  });

  const opened = meter.createObservableCounter(names.opened, {
    description: 'Physical connections opened (each one a login).',
    unit: '{connection}',
  });
  const closed = meter.createObservableCounter(names.closed, {
    description: 'Physical connections closed, by reason.',
    unit: '{connection}',
  });
  const loginsRefused = meter.createObservableCounter(names.loginsRefused, {
    description: 'Logins the database refused (SQLSTATE 28000 / 28P01).',
    unit: '{login}',
  });
  const loginsRecovered = meter.createObservableCounter(names.loginsRecovered, {
    description: 'Checkouts that got a connection after at least one refused login.',
    unit: '{checkout}',
  });
  const fetches = meter.createObservableCounter(names.credentialFetches, {
    description: 'Credential fetches from the source, by reason and outcome.',
    unit: '{fetch}',
  });
  const rotations = meter.createObservableCounter(names.credentialRotations, {
    description: 'Fetches that brought different credentials.',
    unit: '{rotation}',
  });
  const age = meter.createObservableGauge(names.credentialAge, {
    description: 'Time since the credentials in use were fetched.',
    unit: 's',
  });
  const expiry = meter.createObservableGauge(names.credentialTimeToExpiry, {
    description: 'Time until the credentials in use stop working for new logins (IAM tokens).',
    unit: 's',
  });
  const failures = meter.createObservableGauge(names.credentialConsecutiveFailures, {
    description: 'Failed fetches in a row; above 0, cached credentials are serving.',
    unit: '{failure}',
  });
  const generations = meter.createObservableGauge(names.generations, {
    description: 'Pools alive for this connection: one per username, two while an old one drains.',
    unit: '{pool}',
  });

  const observables: Observable[] = [
    count,
    idleMax,
    idleMin,
    max,
    pending,
    timeouts,
    opened,
    closed,
    loginsRefused,
    loginsRecovered,
    fetches,
    rotations,
    age,
    expiry,
    failures,
    generations,
  ];
  const observe: BatchObservableCallback = (result) => {
    // The SDK runs observers before it reads the histograms: held durations land in this collection.
    flushDurations();
    const stats = source.stats();
    result.observe(count, stats.idle, { ...pool, [attributes.state]: 'idle' });
    result.observe(count, stats.inUse, { ...pool, [attributes.state]: 'used' });
    result.observe(idleMax, source.maxIdleConnections, pool);
    result.observe(idleMin, 0, pool);
    result.observe(max, stats.maxOpenConnections, pool);
    result.observe(pending, stats.waiting, pool);
    result.observe(timeouts, stats.connectionTimeouts, pool);
    result.observe(opened, stats.opened, pool);
    for (const reason of Object.keys(CLOSE_FIELD) as CloseReason[]) {
      result.observe(closed, stats[CLOSE_FIELD[reason]], {
        ...pool,
        [attributes.closeReason]: CLOSE_REASON_VALUE[reason],
      });
    }
    result.observe(loginsRefused, stats.authFailures, pool);
    result.observe(loginsRecovered, stats.authRecoveries, pool);
    for (const [reason, outcome] of Object.entries(stats.credentialFetches)) {
      result.observe(fetches, outcome.succeeded, {
        ...pool,
        [attributes.fetchReason]: reason,
        [attributes.fetchOutcome]: 'success',
      });
      result.observe(fetches, outcome.failed, {
        ...pool,
        [attributes.fetchReason]: reason,
        [attributes.fetchOutcome]: 'failure',
      });
    }
    result.observe(rotations, stats.credentialRotations, pool);
    const { fetchedAt, expiresAt, consecutiveFailures } = stats.credentials;
    const now = Date.now();
    if (fetchedAt) result.observe(age, (now - Date.parse(fetchedAt)) / 1000, pool);
    if (expiresAt) result.observe(expiry, (Date.parse(expiresAt) - now) / 1000, pool);
    result.observe(failures, consecutiveFailures, pool);
    result.observe(generations, stats.generations, pool);
  };
  meter.addBatchObservableCallback(observe, observables);

  return {
    timings: histograms && {
      connectionCreated: (seconds) => histograms.createTime.record(seconds),
      connectionWaited: (seconds) => histograms.waitTime.record(seconds),
      connectionUsed: (seconds) => histograms.useTime.record(seconds),
    },
    stop: () => {
      flushDurations();
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}
