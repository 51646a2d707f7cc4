import { readFileSync } from 'node:fs';
import { DatabaseConfigError } from '../../src/errors/errors.js';
import { loadDatabaseConfigFile, parseDatabaseConfig, readDatabaseConfig } from '../../src/config/yaml-config.js';
import { resolveDatabaseOptions } from '../../src/config/resolve-database-options.js';

const seedFile = new URL('../fixtures/seed-000-config.yaml', import.meta.url).pathname;

describe("seed 000's YAML config", () => {
  it('loads unchanged and yields a 14 minute lifetime', () => {
    const options = loadDatabaseConfigFile(seedFile);
    const resolved = resolveDatabaseOptions(options);
    expect(resolved.connectionMaxLifetimeMs).toBe(14 * 60_000);
    expect(resolved.connectionMaxIdleTimeMs).toBe(10 * 60_000);
    expect(resolved.connectionTimeoutMs).toBe(10_000);
    expect(resolved.maxOpenConnections).toBe(10);
    expect(resolved.maxIdleConnections).toBe(2);
    expect(resolved.credentialSource).toMatchObject({
      kind: 'aws-iam',
      region: 'us-east-1',
      username: 'your_iam_user',
      signingHost: 'host',
    });
  });

  it('fails with a message naming connection_max_lifetime when it is 15m', () => {
    const yaml = readFileSync(seedFile, 'utf8').replace(
      'connection_max_lifetime: "14m"',
      'connection_max_lifetime: "15m"',
    );
    expect(() => parseDatabaseConfig(yaml)).toThrow(DatabaseConfigError);
    expect(() => parseDatabaseConfig(yaml)).toThrow(
      /connections\.default\.connection_max_lifetime: "15m" is not below 15m/,
    );
  });

  it('reads pg connection settings under their snake_case names', () => {
    const yaml = readFileSync(seedFile, 'utf8').replace(
      'max_idle_connections: 2',
      'max_idle_connections: 2\n    statement_timeout: "30s"\n    query_timeout: "1m"\n    keep_alive: true',
    );
    const { connection } = resolveDatabaseOptions(parseDatabaseConfig(yaml));
    expect(connection).toMatchObject({ statement_timeout: 30_000, query_timeout: 60_000, keepAlive: true });
  });

  it('refuses durations written as bare numbers, naming each key and its unit choices', () => {
    const yaml = readFileSync(seedFile, 'utf8')
      .replace('connection_max_lifetime: "14m"', 'connection_max_lifetime: 14')
      .replace('connection_timeout: "10s"', 'connection_timeout: 10');
    expect(() => readDatabaseConfig(yaml)).toThrow(DatabaseConfigError);
    expect(() => readDatabaseConfig(yaml)).toThrow(
      /connections\.default\.connection_max_lifetime: 14 has no unit; in a file write a Go duration such as "14m"/,
    );
    expect(() => readDatabaseConfig(yaml)).toThrow(/connections\.default\.connection_timeout: 10 has no unit/);
  });

  it('names unknown snake_case keys as written', () => {
    const yaml = readFileSync(seedFile, 'utf8').replace('max_idle_connections: 2', 'max_idle_conns: 2');
    expect(() => parseDatabaseConfig(yaml)).toThrow(/connections\.default\.max_idle_conns: is not an option/);
  });

  it('reads a secrets_manager block', () => {
    const options = parseDatabaseConfig(
      `
connections:
  reports:
    dsn: "postgresql://db:5432/reports"
    secrets_manager:
      secret_id: prod/reports
      region: eu-west-1
      refresh_interval: 30m
`,
      'reports',
    );
    expect(resolveDatabaseOptions(options).credentialSource).toEqual({
      kind: 'secrets-manager',
      secretId: 'prod/reports',
      region: 'eu-west-1',
      endpoint: undefined,
      refreshIntervalMs: 1_800_000,
    });
    expect(options.name).toBe('reports');
  });

  it('rejects a non-PostgreSQL driver', () => {
    expect(() => parseDatabaseConfig('connections:\n  default:\n    driver: mysql\n')).toThrow(
      /driver: "mysql" is not supported/,
    );
  });

  it('names a missing connection and the ones that exist', () => {
    expect(() => parseDatabaseConfig(readFileSync(seedFile, 'utf8'), 'reports')).toThrow(
      /connections\.reports: not found .* it has default/,
    );
  });

  it('reports a YAML syntax error by position, without quoting the line', () => {
    const broken = 'connections:\n  default:\n    dsn: "postgresql://u:hunter2-secret@h/db\n  x: [';
    let message = '';
    try {
      parseDatabaseConfig(broken);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not valid YAML at line \d+/);
    expect(message).not.toContain('hunter2-secret');
  });
});
