import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';
import { DbService } from '../../src/index.js';
import { eventually } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

// 32 callers refused by every credential source (typed error, hint, bounded fetches, CPU):
// test/credentials/wrong-credentials.fault.spec.ts
describe('a database that refuses every login', () => {
  it('recovers when the provider starts returning the right password', async () => {
    const provider = new SwitchableProvider(database.role.username, 'stale-password-123');
    const db = await DbService.create({
      dsn: database.role.bareDsn,
      credentialProvider: provider,
      connectionTimeout: '5s',
    });
    setTimeout(
      () => provider.publish({ username: database.role.username, password: database.role.password }, 'fixed'),
      300,
    );
    const results = await Promise.all(Array.from({ length: 8 }, () => db.query<{ ok: number }>('SELECT 1 AS ok')));
    expect(results.map((result) => result.rows[0]!.ok)).toEqual(Array(8).fill(1));
    expect(db.stats().authRecoveries).toBeGreaterThan(0);
    await db.onApplicationShutdown();
  }, 20_000);
});

describe('logs', () => {
  it('never carry a password, across refusals, recoveries and broken connections', async () => {
    const lines: string[] = [];
    const capture = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
    Logger.overrideLogger({
      log: capture,
      warn: capture,
      error: capture,
      debug: capture,
      verbose: capture,
      fatal: capture,
    });
    try {
      const wrong = 'refused-password-for-logs';
      const provider = new SwitchableProvider(database.role.username, wrong);
      const db = await DbService.create({
        dsn: database.role.bareDsn,
        credentialProvider: provider,
        maxIdleConnections: 4,
      });
      setTimeout(
        () => provider.publish({ username: database.role.username, password: database.role.password }, 'right'),
        200,
      );
      await Promise.all(Array.from({ length: 4 }, () => db.query('SELECT 1')));
      await database.server.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [
        database.role.username,
      ]);
      await eventually('the broken idle connections to be logged', () =>
        lines.some((line) => line.includes('idle connection')),
      );
      await db.onApplicationShutdown();
      const everything = lines.join('\n');
      expect(everything).not.toContain(wrong);
      expect(everything).not.toContain(database.role.password);
    } finally {
      Logger.overrideLogger(['log', 'warn', 'error']);
    }
  }, 20_000);
});

describe('inspection', () => {
  it('console.log / util.inspect of a DbService never shows the password, hidden fields included', async () => {
    const db = await DbService.create({ dsn: database.role.dsn, maxIdleConnections: 2 });
    const client = await db.pool.connect();
    await Promise.all([client.query('SELECT 1'), db.query('SELECT 1')]);
    expect(inspect(db, { depth: Infinity })).not.toContain(database.role.password);
    // pg keeps the resolved password on each live client; nothing needs it after the login.
    expect(inspect(db, { depth: 12, showHidden: true })).not.toContain(database.role.password);
    expect(inspect(client, { depth: 6, showHidden: true })).not.toContain(database.role.password);
    client.release();
    await db.onApplicationShutdown();
  });
});

describe('retries', () => {
  it('never retries a query: a query killed mid-flight fails once and runs once', async () => {
    const db = await DbService.create({ dsn: database.role.dsn });
    await db.query('CREATE SEQUENCE IF NOT EXISTS attempts');
    const running = db.query("SELECT nextval('attempts'), pg_sleep(5)");
    // Killed once the server runs it: before that there is no backend to kill (a fixed sleep lost
    // that race on a busy machine).
    let pid: number | undefined;
    await eventually('the query to reach the server', async () => {
      const { rows } = await database.server.admin(
        "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%nextval(''attempts'')%' AND pid <> pg_backend_pid()",
      );
      pid = rows[0]?.pid;
      return pid !== undefined;
    });
    await database.server.admin('SELECT pg_terminate_backend($1)', [pid]);
    await expect(running).rejects.toThrow(/terminat/);
    const { rows } = await db.query<{ last_value: string }>('SELECT last_value FROM attempts');
    expect(rows[0]!.last_value).toBe('1');
    expect(db.stats()).toMatchObject({ errorClosed: 1, authFailures: 0 });
    await db.onApplicationShutdown();
  }, 20_000);
});
