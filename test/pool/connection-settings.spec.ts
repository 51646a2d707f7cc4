import pg from 'pg';
import { type DatabaseModuleOptions, DbService } from '../../src/index.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword, useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

const SESSION_SETTINGS = {
  statementTimeout: '30s',
  lockTimeout: '2s',
  idleInTransactionSessionTimeout: '1m',
  applicationName: 'orders-api',
  options: '-c search_path=app,public',
  keepAlive: true,
  keepAliveInitialDelay: '10s',
} satisfies DatabaseModuleOptions;

async function sessionSettings(db: DbService): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['statement_timeout', 'lock_timeout',
       'idle_in_transaction_session_timeout', 'application_name', 'search_path']) AS name`,
  );
  return Object.fromEntries(rows.map(({ name, setting }) => [name, setting]));
}

const EXPECTED = {
  statement_timeout: '30s',
  lock_timeout: '2s',
  idle_in_transaction_session_timeout: '1min',
  application_name: 'orders-api',
  search_path: 'app,public',
};

describe('pg connection settings', () => {
  it('reach every connection', async () => {
    const db = await DbService.create({ dsn: database.role.dsn, ...SESSION_SETTINGS });
    expect(await sessionSettings(db)).toEqual(EXPECTED);
    expect(db.pool.options).toMatchObject({ keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    await db.onApplicationShutdown();
  });

  it('reach the connections of a new username generation too', async () => {
    const user = await createTestRole(database.server, 'settings');
    const clone = await createTestRole(database.server, 'settings_clone');
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({ dsn: user.bareDsn, credentialProvider: provider, ...SESSION_SETTINGS });
    await db.query('SELECT 1');
    const password = newPassword();
    await setPassword(database.server, clone.username, password);
    provider.publish({ username: clone.username, password }, 'v1');
    await db.refreshCredentials();
    const { rows } = await db.query<{ who: string }>('SELECT current_user AS who');
    expect(rows[0]!.who).toBe(clone.username);
    expect(await sessionSettings(db)).toEqual(EXPECTED);
    await db.onApplicationShutdown();
  });

  it('queryTimeout fails a query that runs too long, and closes its connection', async () => {
    const db = await DbService.create({ dsn: database.role.dsn, queryTimeout: '200ms' });
    await expect(db.query('SELECT pg_sleep(5)')).rejects.toThrow(/timeout/i);
    expect(db.stats().errorClosed).toBe(1);
    await expect(db.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    await db.onApplicationShutdown();
  });

  it('types replaces pg’s parsers on every connection', async () => {
    const types = new pg.TypeOverrides();
    types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));
    const db = await DbService.create({ dsn: database.role.dsn, types });
    const { rows } = await db.query<{ big: bigint }>('SELECT 9007199254740993::int8 AS big');
    expect(rows[0]!.big).toBe(9007199254740993n);
    await db.onApplicationShutdown();
  });
});
