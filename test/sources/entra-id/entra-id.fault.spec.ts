import type { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DbService } from '../../../src/index.js';
import { DatabaseHealthIndicator } from '../../../src/health/index.js';
import { captureNestLog } from '../../support/captured-log.js';
import { entraCredential, entraDbOptions, useEntraIdEndpoint } from '../../support/entra-id.js';
import { eventually, runLoad, sleep, startLoad } from '../../support/load.js';

const TOKEN_LIFETIME_MS = 5_000;

/** The Terminus indicator over `db`, as an application's /health runs it. */
function healthOf(db: DbService): Promise<string> {
  const moduleRef = { get: () => db } as unknown as ModuleRef;
  return new DatabaseHealthIndicator(new HealthIndicatorService(), moduleRef)
    .isHealthy('database')
    .then((result) => String(result.database?.status));
}

describe(`Entra ID tokens that live ${TOKEN_LIFETIME_MS / 1000} s, under load`, () => {
  const azure = useEntraIdEndpoint('entraload', { tokenLifetimeMs: TOKEN_LIFETIME_MS });

  it('20 s at concurrency 16 with 1 s connections: no failed query, no login refused (never an expired token), a new token before each one expires', async () => {
    const log = captureNestLog();
    let stats;
    let load;
    const issuedBefore = azure.entra.issued;
    try {
      const db = await DbService.create(
        entraDbOptions(azure, {
          name: 'entra-load',
          entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client) },
        }),
      );
      load = await runLoad(16, 20_000, () => db.query('SELECT pg_sleep(0.002)'));
      // Read after shutdown: a login under way when the load ends is counted by the front at once, by the pool when
      // it completes.
      await db.onApplicationShutdown();
      stats = db.stats();
    } finally {
      log.restore();
    }
    const issued = azure.entra.issued - issuedBefore;

    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    // The front refuses an expired token: none was ever offered.
    expect(azure.front.rejections).toEqual([]);
    expect(azure.front.accepted).toBe(stats.opened);
    expect(stats.opened).toBeGreaterThan(60);
    // Tokens follow time over their lifetime (20 s / 5 s, renewed a little before each end), not connections.
    expect(issued).toBeGreaterThanOrEqual(4);
    expect(issued).toBeLessThanOrEqual(12);
    // Every token but perhaps the last (fetched just before the shutdown) logged in.
    expect(azure.front.tokens.size).toBeGreaterThanOrEqual(issued - 1);
    expect(azure.front.tokens.size).toBeLessThanOrEqual(issued);
    expect(stats.credentialRefreshFailures).toBe(0);
    expect(stats.credentials).toMatchObject({
      source: 'entra-id',
      username: azure.role.username,
      consecutiveFailures: 0,
    });
    const everything = JSON.stringify(stats) + log.lines.map((line) => line.message).join('\n');
    for (const token of azure.front.tokens) expect(everything).not.toContain(token);
    expect(everything).not.toContain(azure.client.clientSecret);
  }, 60_000);
});

describe('the Entra ID token endpoint down', () => {
  // Tokens outlive the outage: it is the endpoint that is down, not the database.
  const azure = useEntraIdEndpoint('entraout', { tokenLifetimeMs: 60_000 });

  it('the cached token serves while valid: no failed query, health degraded during the outage and up after it', async () => {
    const log = captureNestLog();
    try {
      const db = await DbService.create(
        entraDbOptions(azure, {
          name: 'entra-outage',
          entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client) },
        }),
      );
      const load = startLoad(8, () => db.query('SELECT pg_sleep(0.002)'));
      await eventually('load to run', () => load.succeeded > 100);
      expect(await healthOf(db)).toBe('up');

      azure.entra.unavailable = true;
      const refusedBefore = azure.entra.refused;
      const failedRefresh = await db.refreshCredentials().then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failedRefresh).toMatchObject({ name: 'CredentialSourceError' });
      expect(await healthOf(db)).toBe('degraded');
      const succeededInOutage = load.succeeded;
      // Logins go on all through the outage (1 s connections) with the token held.
      await eventually('queries to go on with the token held', () => load.succeeded > succeededInOutage + 200);
      expect(db.stats().credentials.consecutiveFailures).toBeGreaterThan(0);

      azure.entra.unavailable = false;
      await eventually(
        'a token from the endpoint again',
        () => db.stats().credentials.consecutiveFailures === 0,
        20_000,
      );
      expect(await healthOf(db)).toBe('up');
      await sleep(500);
      await load.stop();
      await db.onApplicationShutdown();

      expect(load.failures).toEqual([]);
      expect(azure.front.rejections).toEqual([]);
      expect(azure.entra.refused).toBe(refusedBefore);
    } finally {
      log.restore();
    }
  }, 60_000);
});
