import type { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DbService } from '../../src/index.js';
import { DatabaseHealthIndicator } from '../../src/health/index.js';
import type { PostgresTokenFront } from '../../src/testing/index.js';
import { captureNestLog } from './captured-log.js';
import { eventually, runLoad, sleep, startLoad } from './load.js';

/** A token source's test endpoint, as the shared fault scenarios see it (read once the suite's hooks have run). */
export interface TokenEndpointUnderTest {
  /** The PostgreSQL front that accepts only valid, unexpired tokens. */
  readonly front: PostgresTokenFront;
  /** The database user the tokens log in as. */
  readonly username: string;
  /** Access tokens the token endpoint has issued so far. */
  issued(): number;
  /** Token requests the endpoint refused (bad client credentials, wrong scope): an outage is not one. */
  refused(): number;
  /** Takes the token endpoint down (503) or brings it back. */
  setUnavailable(down: boolean): void;
  /** Options of a pool named `name` that gets its tokens from the endpoint. */
  dbOptions(name: string): object;
  /** What must never appear in stats or logs besides the tokens (a client secret, a private key's armour). */
  secrets(): string[];
}

/** One token source (Entra ID, Cloud SQL IAM…) and how to stand its endpoint up for a suite. */
export interface TokenSourceUnderTest {
  /** How it is named in the suites' titles, e.g. 'Entra ID'. */
  title: string;
  /** `stats().credentials.source`. */
  source: string;
  /** Short prefix of the suites' database roles, e.g. 'entra'. */
  prefix: string;
  /** Registers a suite's hooks for an endpoint whose tokens live `tokenLifetimeMs`. */
  useEndpoint(prefix: string, tokenLifetimeMs: number): TokenEndpointUnderTest;
}

/**
 * Long enough that the renewal margin (a tenth of a token's life: 1 s) outlasts a login on a busy
 * machine. With 5 s tokens the margin was 500 ms, and a CI run under load saw three logins take
 * longer: their token, picked in time, expired before the front checked it.
 */
const TOKEN_LIFETIME_MS = 10_000;
const LOAD_MS = 25_000;

/** The Terminus indicator over `db`, as an application's /health runs it. */
function healthOf(db: DbService): Promise<string> {
  const moduleRef = { get: () => db } as unknown as ModuleRef;
  return new DatabaseHealthIndicator(new HealthIndicatorService(), moduleRef)
    .isHealthy('database')
    .then((result) => String(result.database?.status));
}

/**
 * The fault scenarios every token source must pass: load through token renewals (no failed query,
 * never an expired token offered, tokens follow time and not connections, nothing secret in stats or
 * logs), and the token endpoint down (the cached token serves while valid, health degraded, then up).
 */
export function describeTokenSourceFaults(sut: TokenSourceUnderTest): void {
  describe(`${sut.title} tokens that live ${TOKEN_LIFETIME_MS / 1000} s, under load`, () => {
    const endpoint = sut.useEndpoint(`${sut.prefix}load`, TOKEN_LIFETIME_MS);

    it(`${LOAD_MS / 1000} s at concurrency 16 with 1 s connections: no failed query, no login refused (never an expired token), a new token before each one expires`, async () => {
      const log = captureNestLog();
      let stats;
      let load;
      const issuedBefore = endpoint.issued();
      const refusedBefore = endpoint.refused();
      try {
        const db = await DbService.create(endpoint.dbOptions(`${sut.prefix}-load`));
        load = await runLoad(16, LOAD_MS, () => db.query('SELECT pg_sleep(0.002)'));
        // Read after shutdown: a login under way when the load ends is counted by the front at once, by the pool when
        // it completes.
        await db.onApplicationShutdown();
        stats = db.stats();
      } finally {
        log.restore();
      }
      const issued = endpoint.issued() - issuedBefore;

      expect(load.errors).toEqual([]);
      expect(load.failed).toBe(0);
      // The front refuses an expired token: none was ever offered.
      expect(endpoint.front.rejections).toEqual([]);
      expect(endpoint.front.accepted).toBe(stats.opened);
      expect(stats.opened).toBeGreaterThan(60);
      // Tokens follow time over their lifetime (25 s / 10 s, renewed a little before each end), not connections.
      expect(issued).toBeGreaterThanOrEqual(3);
      expect(issued).toBeLessThanOrEqual(8);
      // Every token but perhaps the last (fetched just before the shutdown) logged in.
      expect(endpoint.front.tokens.size).toBeGreaterThanOrEqual(issued - 1);
      expect(endpoint.front.tokens.size).toBeLessThanOrEqual(issued);
      expect(endpoint.refused()).toBe(refusedBefore);
      expect(stats.credentialRefreshFailures).toBe(0);
      expect(stats.credentials).toMatchObject({
        source: sut.source,
        username: endpoint.username,
        consecutiveFailures: 0,
      });
      const everything = JSON.stringify(stats) + log.lines.map((line) => line.message).join('\n');
      for (const token of endpoint.front.tokens) expect(everything).not.toContain(token);
      for (const secret of endpoint.secrets()) expect(everything).not.toContain(secret);
    }, 60_000);
  });

  describe(`the ${sut.title} token endpoint down`, () => {
    // Tokens outlive the outage: it is the endpoint that is down, not the database.
    const endpoint = sut.useEndpoint(`${sut.prefix}out`, 60_000);

    it('the cached token serves while valid: no failed query, health degraded during the outage and up after it', async () => {
      const log = captureNestLog();
      try {
        const db = await DbService.create(endpoint.dbOptions(`${sut.prefix}-outage`));
        const load = startLoad(8, () => db.query('SELECT pg_sleep(0.002)'));
        await eventually('load to run', () => load.succeeded > 100);
        expect(await healthOf(db)).toBe('up');

        endpoint.setUnavailable(true);
        const refusedBefore = endpoint.refused();
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

        endpoint.setUnavailable(false);
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
        expect(endpoint.front.rejections).toEqual([]);
        expect(endpoint.refused()).toBe(refusedBefore);
      } finally {
        log.restore();
      }
    }, 60_000);
  });
}
