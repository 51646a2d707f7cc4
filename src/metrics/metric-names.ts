/**
 * Instrument and attribute names. The `db.client.connection.*` ones are OpenTelemetry's
 * database-client semantic conventions (connection-pool metrics); the `rotating_pg.*` ones tell
 * the rotation story that the conventions have no words for.
 */
export const metricNames = {
  count: 'db.client.connection.count',
  idleMax: 'db.client.connection.idle.max',
  idleMin: 'db.client.connection.idle.min',
  max: 'db.client.connection.max',
  pendingRequests: 'db.client.connection.pending_requests',
  timeouts: 'db.client.connection.timeouts',
  createTime: 'db.client.connection.create_time',
  waitTime: 'db.client.connection.wait_time',
  useTime: 'db.client.connection.use_time',
  opened: 'rotating_pg.connection.opened',
  closed: 'rotating_pg.connection.closed',
  loginsRefused: 'rotating_pg.login.refused',
  loginsRecovered: 'rotating_pg.login.recovered',
  credentialFetches: 'rotating_pg.credentials.fetches',
  credentialRotations: 'rotating_pg.credentials.rotations',
  credentialAge: 'rotating_pg.credentials.age',
  credentialTimeToExpiry: 'rotating_pg.credentials.time_to_expiry',
  credentialConsecutiveFailures: 'rotating_pg.credentials.consecutive_failures',
  generations: 'rotating_pg.pool.generations',
} as const;

export const attributes = {
  /** The connection name given to the module ('default' unless named). */
  poolName: 'db.client.connection.pool.name',
  state: 'db.client.connection.state',
  closeReason: 'rotating_pg.close.reason',
  fetchReason: 'rotating_pg.fetch.reason',
  fetchOutcome: 'rotating_pg.fetch.outcome',
} as const;
