import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  DatabaseConfigError,
  DatabaseModule,
  type DatabaseModuleOptions,
  DbService,
  loadDatabaseConfigFile,
} from '../../src/index.js';
import {
  SecretsManagerEmulator,
  startTestPostgres,
  type TestPostgres,
  VaultEmulator,
} from '../../src/testing/index.js';
import { createTestRole, setPassword, type TestRole } from '../support/roles.js';
import { useTempFolder } from '../support/temp-folder.js';

/** In every DSN and password of the matrix: it must never reach a message or a stack. */
const SECRET = 'Mx7-matrix-S3CRET-pw';
/** A password that needs percent-encoding in a URL and quoting in a key=value DSN. */
const EDGE_PASSWORD = 'Edge@S3cret:/%#?&= pw';

/** Counts TCP connections, so "no connection attempted" is a number, not a hope. */
class CountingServer {
  accepted = 0;
  private readonly server: Server = createServer((socket) => {
    this.accepted++;
    socket.destroy();
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

@Module({})
class AppModule {
  static with(database: DynamicModule): DynamicModule {
    return { module: AppModule, imports: [database] };
  }
}

type Startup =
  { forRoot: DatabaseModuleOptions } | { forRootAsync: () => unknown } | { yaml: string; connection?: string };

/**
 * Starts a real Nest application the way users do: forRoot through Nest's testing module, the rest through NestFactory.
 */
async function startApp(startup: Startup): Promise<INestApplicationContext> {
  if ('forRoot' in startup)
    return Test.createTestingModule({ imports: [DatabaseModule.forRoot(startup.forRoot)] }).compile();
  const factory =
    'yaml' in startup
      ? () => loadDatabaseConfigFile(writeYaml(startup.yaml), startup.connection)
      : (startup.forRootAsync as () => DatabaseModuleOptions);
  return NestFactory.createApplicationContext(
    AppModule.with(DatabaseModule.forRootAsync({ useFactory: async () => factory() })),
    {
      logger: false,
      abortOnError: false,
    },
  );
}

const yamlDir = useTempFolder('bad-config-');
let yamlFiles = 0;
function writeYaml(text: string): string {
  const file = join(yamlDir, `config-${++yamlFiles}.yaml`);
  writeFileSync(file, text);
  return file;
}

interface InvalidRow {
  name: string;
  startup: Startup;
  /** The key the message must name, as the user spelled it. */
  key: string;
  /** What the message must say to do. */
  says: RegExp;
  /** How many problems the error lists; each one once. Default 1. */
  problems?: number;
  /** Other values that must not appear (the default check is SECRET). */
  absent?: string[];
}

/** Where the rows point: every database address is the counting server, every AWS endpoint the emulator. */
interface Targets {
  port: number;
  secretsManagerEndpoint: string;
  /** The Vault emulator's address: no row may call it. */
  vaultAddress: string;
}

function invalidRows({ port, secretsManagerEndpoint, vaultAddress }: Targets): InvalidRow[] {
  const dsn = `postgresql://app:${SECRET}@127.0.0.1:${port}/app`;
  const bareTlsDsn = `postgresql://app@127.0.0.1:${port}/app?sslmode=verify-full`;
  const iam = { enabled: true, region: 'us-east-1' };
  const dsql = { enabled: true, region: 'us-east-1' };
  const secretsManager = { secretId: 'prod/app', region: 'us-east-1', endpoint: secretsManagerEndpoint };
  const vault = { address: vaultAddress, token: SECRET, role: 'app' };
  const bareDsn = `postgresql://127.0.0.1:${port}/app`;
  const vaultRow = (name: string, options: object, key: string, says: RegExp): InvalidRow => ({
    name,
    startup: { forRoot: { dsn: bareDsn, vault: { ...vault, ...options } } },
    key,
    says,
    absent: ['S3cretId-matrix-1'],
  });
  const lifetime = (value: unknown): Startup => ({ forRoot: { dsn, connectionMaxLifetime: value as string } });
  const yaml = (body: string) => `connections:\n  default:\n    dsn: "${dsn}"\n${body}`;
  const refusedLifetime = {
    key: 'connectionMaxLifetime',
    says: /is not below 15m; RDS IAM tokens expire after 15 minutes.*Set it to "14m"/,
  };
  const notPositive = { key: 'connectionMaxLifetime', says: /must be greater than 0/ };
  const notDuration = { key: 'connectionMaxLifetime', says: /is not a duration; write a Go duration such as "14m"/ };
  return [
    { name: "lifetime '15m'", startup: lifetime('15m'), ...refusedLifetime },
    { name: "lifetime '900s'", startup: lifetime('900s'), ...refusedLifetime },
    { name: "lifetime '900000ms'", startup: lifetime('900000ms'), ...refusedLifetime },
    { name: "lifetime '0.25h'", startup: lifetime('0.25h'), ...refusedLifetime },
    { name: "lifetime '1h'", startup: lifetime('1h'), ...refusedLifetime },
    { name: "lifetime '14m60s'", startup: lifetime('14m60s'), ...refusedLifetime },
    { name: 'lifetime 900000 (ms)', startup: lifetime(900_000), ...refusedLifetime },
    { name: 'lifetime 0', startup: lifetime(0), ...notPositive },
    { name: "lifetime '0s'", startup: lifetime('0s'), ...notPositive },
    { name: "lifetime '-1m'", startup: lifetime('-1m'), ...notPositive },
    { name: 'lifetime -60000', startup: lifetime(-60_000), ...notPositive },
    { name: 'lifetime NaN', startup: lifetime(Number.NaN), ...notDuration },
    { name: 'lifetime Infinity', startup: lifetime(Number.POSITIVE_INFINITY), ...notDuration },
    { name: "lifetime '14' (no unit)", startup: lifetime('14'), ...notDuration },
    {
      name: 'idle time above the lifetime',
      startup: { forRoot: { dsn, connectionMaxLifetime: '5m', connectionMaxIdleTime: '5m1s' } },
      key: 'connectionMaxIdleTime',
      says: /must not exceed connectionMaxLifetime.*Lower it or raise connectionMaxLifetime/,
    },
    {
      name: "connectionTimeout '10 seconds'",
      startup: { forRoot: { dsn, connectionTimeout: '10 seconds' } },
      key: 'connectionTimeout',
      says: /is not a duration/,
    },
    {
      name: "IAM tokenTtl '15m'",
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: { ...iam, tokenTtl: '15m' } } },
      key: 'awsIamAuth.tokenTtl',
      says: /is not below 15m; an IAM token is valid for 15 minutes at most. Use "10m"/,
    },
    {
      name: 'more idle connections than open ones',
      startup: { forRoot: { dsn, maxOpenConnections: 10, maxIdleConnections: 11 } },
      key: 'maxIdleConnections',
      says: /must not exceed maxOpenConnections; lower it or raise maxOpenConnections/,
    },
    {
      name: 'maxOpenConnections 0',
      startup: { forRoot: { dsn, maxOpenConnections: 0 } },
      key: 'maxOpenConnections',
      says: /must be a whole number of at least 1/,
    },
    {
      name: 'maxOpenConnections NaN',
      startup: { forRoot: { dsn, maxOpenConnections: Number.NaN } },
      key: 'maxOpenConnections',
      says: /must be a number, not NaN/,
    },
    {
      name: 'a password in the dsn and secretsManager',
      startup: { forRoot: { dsn, secretsManager } },
      key: 'dsn and secretsManager',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'password and credentialProvider',
      startup: {
        forRoot: {
          host: '127.0.0.1',
          port,
          user: 'app',
          password: SECRET,
          credentialProvider: { fetch: async () => ({ username: 'app', password: SECRET }) },
        },
      },
      key: 'password and credentialProvider',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'a password in the dsn and awsIamAuth',
      startup: { forRoot: { dsn: `${dsn}?sslmode=verify-full`, awsIamAuth: iam } },
      key: 'dsn and awsIamAuth',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'no credential source',
      startup: { forRoot: { dsn: bareTlsDsn } },
      key: 'password, awsIamAuth, dsqlAuth, entraIdAuth, cloudSqlIamAuth, secretsManager, vault, credentialProvider',
      says: /no credential source: set exactly one of/,
    },
    {
      name: 'IAM without region',
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: { enabled: true } as never } },
      key: 'awsIamAuth.region',
      says: /is required: the AWS region of the database, e\.g\. "us-east-1"/,
    },
    {
      name: 'IAM with an empty region',
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: { enabled: true, region: '' } } },
      key: 'awsIamAuth.region',
      says: /is required: the AWS region of the database/,
    },
    {
      name: 'IAM without enabled',
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: { region: 'us-east-1' } as never } },
      key: 'awsIamAuth.enabled',
      says: /is required: true to sign an IAM auth token/,
    },
    {
      name: 'IAM without TLS',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app`, awsIamAuth: iam } },
      key: 'awsIamAuth',
      says: /RDS accepts IAM logins over TLS only: use sslmode=verify-full.*awsIamAuth\.allowPlaintext: true/,
    },
    {
      name: 'DSQL without region',
      startup: { forRoot: { dsn: bareTlsDsn, dsqlAuth: { enabled: true } as never } },
      key: 'dsqlAuth.region',
      says: /is required: the AWS region of the cluster, e\.g\. "us-east-1"/,
    },
    {
      name: "DSQL tokenTtl '15m' (not below the default expiresIn)",
      startup: { forRoot: { dsn: bareTlsDsn, dsqlAuth: { ...dsql, tokenTtl: '15m' } } },
      key: 'dsqlAuth.tokenTtl',
      says: /"15m" is not below dsqlAuth\.expiresIn: a token must still be valid for the last login that reuses it/,
    },
    {
      name: "DSQL expiresIn '169h'",
      startup: { forRoot: { dsn: bareTlsDsn, dsqlAuth: { ...dsql, expiresIn: '169h' } } },
      key: 'dsqlAuth.expiresIn',
      says: /is longer than a week; Aurora DSQL refuses tokens signed for longer \(604800 s\)/,
    },
    {
      name: 'DSQL without TLS',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app`, dsqlAuth: dsql } },
      key: 'dsqlAuth',
      says: /Aurora DSQL accepts connections over TLS only: use sslmode=verify-full.*dsqlAuth\.allowPlaintext: true/,
    },
    {
      name: 'DSQL with sslmode=no-verify',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app?sslmode=no-verify`, dsqlAuth: dsql } },
      key: 'dsqlAuth',
      says: /TLS without verifying the server .* would hand an Aurora DSQL token to anyone in the middle.*dsqlAuth\.allowUnverifiedTls: true/,
    },
    {
      name: 'awsIamAuth and dsqlAuth',
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: iam, dsqlAuth: dsql } },
      key: 'awsIamAuth and dsqlAuth',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'YAML dsql_auth without enabled',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    dsql_auth:\n      region: us-east-1\n`,
      },
      key: 'connections.default.dsql_auth.enabled',
      says: /is required: true to sign Aurora DSQL auth tokens/,
    },
    {
      name: 'Entra ID without TLS',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app`, entraIdAuth: { enabled: true } } },
      key: 'entraIdAuth',
      says: /Azure Database for PostgreSQL accepts connections over TLS only: use sslmode=verify-full.*entraIdAuth\.allowPlaintext: true/,
    },
    {
      name: 'Entra ID with sslmode=no-verify',
      startup: {
        forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app?sslmode=no-verify`, entraIdAuth: { enabled: true } },
      },
      key: 'entraIdAuth',
      says: /TLS without verifying the server .* would hand an Entra ID access token.*entraIdAuth\.allowUnverifiedTls: true/,
    },
    {
      name: 'Entra ID scope without /.default',
      startup: {
        forRoot: {
          dsn: bareTlsDsn,
          entraIdAuth: { enabled: true, scope: 'https://ossrdbms-aad.database.windows.net/user_impersonation' },
        },
      },
      key: 'entraIdAuth.scope',
      says: /is not a "\.default" scope; Azure Database for PostgreSQL wants/,
    },
    {
      name: 'Entra ID credential that is no TokenCredential',
      startup: { forRoot: { dsn: bareTlsDsn, entraIdAuth: { enabled: true, credential: { token: SECRET } as never } } },
      key: 'entraIdAuth.credential',
      says: /must be a TokenCredential of @azure\/identity \(an object with getToken\(scopes\)\)/,
    },
    {
      name: 'YAML entra_id_auth without enabled',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    entra_id_auth:\n      managed_identity_client_id: abc\n`,
      },
      key: 'connections.default.entra_id_auth.enabled',
      says: /is required: true to log in with Microsoft Entra ID access tokens/,
    },
    {
      name: 'entraIdAuth and cloudSqlIamAuth',
      startup: { forRoot: { dsn: bareTlsDsn, entraIdAuth: { enabled: true }, cloudSqlIamAuth: { enabled: true } } },
      key: 'entraIdAuth and cloudSqlIamAuth',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'Cloud SQL IAM without TLS',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app`, cloudSqlIamAuth: { enabled: true } } },
      key: 'cloudSqlIamAuth',
      says: /Cloud SQL IAM logins need TLS: .*Cloud SQL Auth Proxy.*cloudSqlIamAuth\.allowPlaintext: true/,
    },
    {
      name: 'Cloud SQL IAM with sslmode=no-verify',
      startup: {
        forRoot: {
          dsn: `postgresql://app@127.0.0.1:${port}/app?sslmode=no-verify`,
          cloudSqlIamAuth: { enabled: true },
        },
      },
      key: 'cloudSqlIamAuth',
      says: /TLS without verifying the server .* would hand a Google access token.*cloudSqlIamAuth\.allowUnverifiedTls: true/,
    },
    {
      name: 'Cloud SQL IAM auth that is no GoogleAuth',
      startup: {
        forRoot: { dsn: bareTlsDsn, cloudSqlIamAuth: { enabled: true, auth: { private_key: SECRET } as never } },
      },
      key: 'cloudSqlIamAuth.auth',
      says: /must be a GoogleAuth of google-auth-library \(getClient\(\) and getCredentials\(\)\) or one of its auth clients/,
    },
    {
      name: 'YAML cloud_sql_iam_auth without enabled',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    cloud_sql_iam_auth:\n      db_user: app@project.iam\n`,
      },
      key: 'connections.default.cloud_sql_iam_auth.enabled',
      says: /is required: true to log in with Google OAuth 2\.0 access tokens/,
    },
    {
      name: 'secretsManager without secretId',
      startup: {
        forRoot: {
          dsn: bareTlsDsn,
          secretsManager: { region: 'us-east-1', endpoint: secretsManagerEndpoint } as never,
        },
      },
      key: 'secretsManager.secretId',
      says: /is required: the secret name or ARN/,
    },
    vaultRow(
      'vault without role or staticRole',
      { role: undefined },
      'vault.role',
      /no Vault role: set vault\.role \(dynamic credentials, a new user per lease\) or vault\.staticRole/,
    ),
    vaultRow(
      'vault with both role and staticRole',
      { staticRole: 'app-static' },
      'vault.role and vault.staticRole',
      /are both set; choose one/,
    ),
    vaultRow(
      'vault without address (and no VAULT_ADDR)',
      { address: undefined },
      'vault.address',
      /is required: Vault's address, e\.g\. "https:\/\/vault\.example\.com:8200" \(or set VAULT_ADDR\)/,
    ),
    vaultRow(
      'vault with an address that is not a URL',
      { address: 'vault.internal:8200' },
      'vault.address',
      /"vault\.internal:8200" is not an http\(s\) URL/,
    ),
    vaultRow(
      'vault over plain http to a remote host',
      { address: 'http://vault.example.com:8200' },
      'vault.address',
      /is plain http to a host that is not this machine.*set vault\.allowPlaintext: true/,
    ),
    vaultRow(
      'vault with token and appRole',
      { appRole: { roleId: 'r', secretId: 'S3cretId-matrix-1' } },
      'vault.token and vault.appRole',
      /are both set; choose one Vault auth method/,
    ),
    vaultRow(
      'vault without any auth (and no VAULT_TOKEN)',
      { token: undefined },
      'vault.token',
      /no Vault auth: set one of vault\.token, vault\.appRole, vault\.kubernetes \(or VAULT_TOKEN\)/,
    ),
    vaultRow(
      'vault appRole without secretId',
      { token: undefined, appRole: { roleId: 'r' } },
      'vault.appRole.secretId',
      /is required: a secret_id of the AppRole/,
    ),
    vaultRow(
      'vault kubernetes without role',
      { token: undefined, kubernetes: {} },
      'vault.kubernetes.role',
      /is required: the Vault role bound to the service account/,
    ),
    vaultRow('vault leaseIncrement 0', { leaseIncrement: '0s' }, 'vault.leaseIncrement', /must be greater than 0/),
    vaultRow(
      'vault requestTimeout not a duration',
      { requestTimeout: '10' },
      'vault.requestTimeout',
      /is not a duration/,
    ),
    vaultRow(
      'vault leaseIncrement with a static role',
      { role: undefined, staticRole: 's', leaseIncrement: '1h' },
      'vault.leaseIncrement',
      /applies to dynamic roles only/,
    ),
    vaultRow(
      'vault kv without path',
      { role: undefined, kv: {} },
      'vault.kv.path',
      /is required: the path of the KV v2 secret under its mount, e\.g\. "db\/app"/,
    ),
    vaultRow(
      'vault kv with an empty path',
      { role: undefined, kv: { path: '' } },
      'vault.kv.path',
      /is required: the path of the KV v2 secret/,
    ),
    vaultRow(
      'vault kv with role',
      { kv: { path: 'db/app' } },
      'vault.kv and vault.role',
      /are both set; choose one: a KV v2 secret, or the database secrets engine/,
    ),
    vaultRow(
      "vault kv path with the API's data/",
      { role: undefined, kv: { path: 'data/db/app' } },
      'vault.kv.path',
      /"data\/db\/app" starts with "data\/": write the path as `vault kv get -mount=<mount> <path>` takes it/,
    ),
    vaultRow(
      'vault kv with the database engine mount',
      { role: undefined, mount: 'database', kv: { path: 'db/app' } },
      'vault.mount',
      /applies to the database secrets engine only; with vault\.kv set the KV mount in vault\.kv\.mount/,
    ),
    vaultRow(
      'vault kv refreshInterval 0',
      { role: undefined, kv: { path: 'db/app', refreshInterval: '0s' } },
      'vault.kv.refreshInterval',
      /must be greater than 0/,
    ),
    vaultRow(
      'vault kv with an empty passwordKey',
      { role: undefined, kv: { path: 'db/app', passwordKey: '' } },
      'vault.kv.passwordKey',
      /is empty: the name of the secret's key holding the password/,
    ),
    {
      name: 'YAML vault kv with an empty username_key',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareDsn}"\n    vault:\n      address: ${vaultAddress}\n      token: ${SECRET}\n      kv:\n        path: db/app\n        username_key: ""\n`,
      },
      key: 'connections.default.vault.kv.username_key',
      says: /is empty: the name of the secret's key holding the user/,
    },
    vaultRow(
      'vault with an unknown key (ttl)',
      { ttl: '1h' },
      'vault.ttl',
      /is not an option.*Known keys here: address, namespace, mount, role, staticRole, token/,
    ),
    {
      name: 'YAML vault without role',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareDsn}"\n    vault:\n      address: ${vaultAddress}\n      token: ${SECRET}\n      static_role: ""\n`,
      },
      key: 'connections.default.vault.static_role',
      says: /is empty: the name of a static role/,
    },
    {
      name: 'vault and secretsManager',
      startup: { forRoot: { dsn: bareDsn, vault, secretsManager } },
      key: 'secretsManager and vault',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'an unknown key (connectionMaxLifeTime)',
      startup: { forRoot: { dsn, connectionMaxLifeTime: '14m' } as never },
      key: 'connectionMaxLifeTime',
      says: /is not an option \(a typo would silently fall back to a default\)\. Known keys here: .*connectionMaxLifetime/,
    },
    {
      name: 'an unknown nested key (awsIamAuth.db_user)',
      startup: { forRoot: { dsn: bareTlsDsn, awsIamAuth: { ...iam, db_user: 'app' } as never } },
      key: 'awsIamAuth.db_user',
      says: /is not an option.*Known keys here: enabled, region, dbUser/,
    },
    {
      name: "maxOpenConnections '10'",
      startup: { forRoot: { dsn, maxOpenConnections: '10' as never } },
      key: 'maxOpenConnections',
      says: /must be a number, not a string/,
    },
    {
      name: "ssl 'require'",
      startup: { forRoot: { dsn, ssl: 'require' as never } },
      key: 'ssl',
      says: /must be true, false, or an object of TLS options.*sslmode=… belongs in the dsn/,
    },
    {
      name: "port '5432'",
      startup: { forRoot: { host: '127.0.0.1', port: String(port) as never, user: 'app', password: SECRET } },
      key: 'port',
      says: /must be a number, not a string/,
    },
    {
      name: 'password as a number',
      startup: { forRoot: { host: '127.0.0.1', port, user: 'app', password: 31_415_926 as never } },
      key: 'password',
      says: /must be a string, not a number/,
      absent: ['31415926'],
    },
    {
      name: 'a credentialProvider without fetch',
      startup: { forRoot: { dsn: bareTlsDsn, credentialProvider: { get: async () => SECRET } as never } },
      key: 'credentialProvider',
      says: /must be an object with a fetch\(context\) method/,
    },
    {
      name: 'a forRootAsync factory that returns nothing',
      startup: { forRootAsync: () => undefined },
      key: 'forRootAsync',
      says: /the options are undefined, not an object .* return them from the forRootAsync factory/,
    },
    {
      name: 'several problems at once',
      startup: {
        forRootAsync: () => ({ dsn, connectionMaxLifetime: Number.NaN, maxOpenConnections: 'ten', extra: true }),
      },
      key: 'connectionMaxLifetime',
      says: /maxOpenConnections: must be a number, not a string[^]*connectionMaxLifetime: NaN is not a duration[^]*extra: is not an option/,
      problems: 3,
    },
    {
      name: 'a malformed dsn (no colon)',
      startup: { forRoot: { dsn: `postgresql//app:${SECRET}@127.0.0.1:${port}/app` } },
      key: 'dsn',
      says: /cannot be parsed.*expected postgresql:\/\/user@host/,
    },
    {
      name: 'a dsn with a bad port',
      startup: { forRoot: { dsn: `postgresql://app:${SECRET}@127.0.0.1:notaport/app` } },
      key: 'dsn',
      says: /cannot be parsed.*value not shown/,
    },
    {
      name: 'an unterminated key=value dsn',
      startup: { forRoot: { dsn: `host=127.0.0.1 port=${port} user=app password='${SECRET}` } },
      key: 'dsn',
      says: /cannot be parsed/,
    },
    {
      name: 'a mysql:// dsn',
      startup: { forRoot: { dsn: dsn.replace('postgresql:', 'mysql:') } },
      key: 'dsn',
      says: /uses the scheme "mysql", not PostgreSQL; write postgresql:\/\//,
    },
    {
      name: 'an empty dsn',
      startup: { forRoot: { dsn: '', password: SECRET } },
      key: 'dsn',
      says: /is empty; expected postgresql:\/\//,
      problems: 2,
    },
    {
      name: 'an sslmode typo',
      startup: { forRoot: { dsn: `${dsn}?sslmode=verfy-full` } },
      key: 'dsn',
      says: /has sslmode=verfy-full, which is not one of disable, .*verify-full/,
    },
    {
      name: 'an sslmode typo with IAM auth',
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app?sslmode=verify_full`, awsIamAuth: iam } },
      key: 'dsn',
      says: /has sslmode=verify_full, which is not one of/,
    },
    {
      name: 'an sslrootcert that does not exist',
      startup: { forRoot: { dsn: `${dsn}?sslmode=verify-full&sslrootcert=/nonexistent/global-bundle.pem` } },
      key: 'dsn',
      says: /names the file \/nonexistent\/global-bundle\.pem .* cannot be read \(ENOENT\); fix the path/,
    },
    {
      name: 'dsn next to host',
      startup: { forRoot: { dsn, host: '127.0.0.1' } },
      key: 'dsn',
      says: /cannot be combined with host; put everything in the dsn or use the separate keys/,
    },
    {
      name: 'YAML that does not parse',
      startup: { yaml: `connections:\n  default:\n    dsn: "${dsn}\n  x: [` },
      key: 'config-',
      says: /not valid YAML at line \d+, column \d+; fix the syntax there/,
    },
    {
      name: 'a YAML connection that does not exist',
      startup: { yaml: yaml(''), connection: 'reports' },
      key: 'connections.reports',
      says: /not found in .*config-\d+\.yaml; it has default/,
    },
    {
      name: 'YAML without a connections map',
      startup: { yaml: `databases:\n  default:\n    dsn: "${dsn}"\n` },
      key: 'connections',
      says: /must have a top-level "connections:" map/,
    },
    {
      name: 'sessionRole empty',
      startup: { forRoot: { dsn, sessionRole: '' } },
      key: 'sessionRole',
      says: /must not be empty; name the role that should own what the sessions create/,
    },
    {
      name: 'sessionRole not a string',
      startup: { forRoot: { dsn, sessionRole: 42 as unknown as string } },
      key: 'sessionRole',
      says: /must be a string, not a number/,
    },
    {
      name: 'sessionRole beside a role in options',
      startup: { forRoot: { dsn, sessionRole: 'app_owner', options: '-c search_path=app -c role=other' } },
      key: 'sessionRole',
      says: /cannot be combined with a -c role=… in options .*keep sessionRole and remove the other/,
    },
    {
      name: 'sessionRole beside a role in the dsn options',
      startup: { forRoot: { dsn: `${dsn}?options=--role%3Dother`, sessionRole: 'app_owner' } },
      key: 'sessionRole',
      says: /cannot be combined with a -c role=…/,
    },
    {
      name: 'YAML session_role empty',
      startup: { yaml: yaml('    session_role: ""\n') },
      key: 'connections.default.session_role',
      says: /must not be empty/,
    },
    {
      name: 'a YAML connection left empty',
      startup: { yaml: 'connections:\n  default:\n' },
      key: 'connections.default',
      says: /is empty or not a map; give it the options of this connection/,
    },
    {
      name: 'a bare YAML number as lifetime',
      startup: { yaml: yaml('    connection_max_lifetime: 14\n') },
      key: 'connections.default.connection_max_lifetime',
      says: /14 has no unit; in a file write a Go duration such as "14m"/,
    },
    {
      name: 'a bare YAML number as IAM token_ttl',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    aws_iam_auth:\n      enabled: true\n      region: us-east-1\n      token_ttl: 10\n`,
      },
      key: 'connections.default.aws_iam_auth.token_ttl',
      says: /10 has no unit/,
    },
    {
      name: 'YAML lifetime "15m"',
      startup: { yaml: yaml('    connection_max_lifetime: "15m"\n') },
      key: 'connections.default.connection_max_lifetime',
      says: refusedLifetime.says,
    },
    {
      name: 'YAML lifetime .inf',
      startup: { yaml: yaml('    connection_max_lifetime: .inf\n') },
      key: 'connections.default.connection_max_lifetime',
      says: /Infinity is not a duration/,
    },
    {
      name: 'YAML idle time above the lifetime',
      startup: { yaml: yaml('    connection_max_lifetime: 5m\n    connection_max_idle_time: 6m\n') },
      key: 'connections.default.connection_max_idle_time',
      says: /must not exceed connections\.default\.connection_max_lifetime/,
    },
    {
      name: 'an unknown YAML key',
      startup: { yaml: yaml('    max_idle_conns: 2\n') },
      key: 'connections.default.max_idle_conns',
      says: /is not an option.*Known keys here: .*max_idle_connections, connection_max_lifetime/,
    },
    {
      name: 'YAML aws_iam_auth without region',
      startup: { yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    aws_iam_auth:\n      enabled: true\n` },
      key: 'connections.default.aws_iam_auth.region',
      says: /is required: the AWS region/,
    },
    {
      name: 'YAML with a dsn password and secrets_manager',
      startup: {
        yaml: yaml(`    secrets_manager:\n      secret_id: prod/app\n      endpoint: ${secretsManagerEndpoint}\n`),
      },
      key: 'connections.default.dsn and connections.default.secrets_manager',
      says: /are both set; choose exactly one credential source/,
    },
    {
      name: 'YAML driver mysql',
      startup: { yaml: yaml('    driver: mysql\n') },
      key: 'connections.default.driver',
      says: /"mysql" is not supported; this module speaks PostgreSQL only/,
    },
    // Issue 20: durations past what a timer holds, ports out of range,
    // settings smuggled through the dsn, unverified TLS for tokens.
    ...[
      [
        'secretsManager.refreshInterval',
        { dsn: bareTlsDsn, secretsManager: { ...secretsManager, refreshInterval: '720h' } },
      ],
      ['connectionTimeout', { dsn, connectionTimeout: '600h' }],
      ['statementTimeout', { dsn, statementTimeout: 2 ** 31 }],
    ].map(([key, options]) => ({
      name: `${key as string} past 2^31-1 ms`,
      startup: { forRoot: options as DatabaseModuleOptions },
      key: key as string,
      says: /is longer than 2147483647 ms \(about 24\.8 days\), the longest delay a Node\.js timer can hold/,
    })),
    {
      name: 'YAML refresh_interval: 720h',
      startup: {
        yaml: `connections:\n  default:\n    dsn: "${bareTlsDsn}"\n    secrets_manager:\n      secret_id: prod/app\n      endpoint: ${secretsManagerEndpoint}\n      refresh_interval: 720h\n`,
      },
      key: 'connections.default.secrets_manager.refresh_interval',
      says: /"720h" is longer than 2147483647 ms/,
    },
    ...[70_000, 0].map((badPort) => ({
      name: `port ${badPort}`,
      startup: { forRoot: { host: '127.0.0.1', port: badPort, user: 'app', password: SECRET } },
      key: 'port',
      says: /is not a TCP port; use a whole number from 1 to 65535/,
    })),
    ...[
      [
        'maxUses=1',
        /sets maxUses, which the module takes from its own options only; remove it from the dsn and use the option connectionMaxLifetime/,
      ],
      ['maxLifetimeSeconds=60', /sets maxLifetimeSeconds, .*use the option connectionMaxLifetime/],
      ['min=2', /sets min, a pg-pool setting the module does not offer/],
      ['allowExitOnIdle=true', /sets allowExitOnIdle, a pg-pool setting the module does not offer/],
      ['idleTimeoutMillis=100', /sets idleTimeoutMillis, .*use the option connectionMaxIdleTime/],
      ['max=50', /sets max, .*use the option maxOpenConnections/],
      ['target_session_attrs=read-write', /has target_session_attrs, which pg does not implement/],
      [
        'connect_timeout=0',
        /has a connect_timeout that is not a whole number of seconds of at least 1 \(the module never waits without limit\)/,
      ],
    ].map(([query, says]) => ({
      name: `a dsn with ?${query as string}`,
      startup: { forRoot: { dsn: `${dsn}?${query as string}` } },
      key: 'dsn',
      says: says as RegExp,
    })),
    {
      name: 'a YAML dsn with ?maxUses=1',
      startup: { yaml: `connections:\n  default:\n    dsn: "${dsn}?maxUses=1"\n` },
      key: 'connections.default.dsn',
      says: /sets maxUses, .*use the option connections\.default\.connection_max_lifetime/,
    },
    {
      name: 'a misspelt keyword in a key=value dsn (dbnmae)',
      startup: { forRoot: { dsn: `host=127.0.0.1 port=${port} user=app password=${SECRET} dbnmae=app` } },
      key: 'dsn',
      says: /has dbnmae, which is not a connection option pg understands \(libpq: invalid connection option "dbnmae"\)/,
    },
    {
      name: 'connect_timeout in the dsn and connectionTimeout',
      startup: { forRoot: { dsn: `${dsn}?connect_timeout=5`, connectionTimeout: '5s' } },
      key: 'dsn',
      says: /sets connect_timeout and the option connectionTimeout is set too; keep one of them/,
    },
    {
      name: 'an explicit maxIdleConnections above maxOpenConnections: 1',
      startup: { forRoot: { dsn, maxOpenConnections: 1, maxIdleConnections: 2 } },
      key: 'maxIdleConnections',
      says: /must not exceed maxOpenConnections/,
    },
    ...['sslmode=no-verify', 'uselibpqcompat=true&sslmode=require'].map((query) => ({
      name: `IAM with ${query}`,
      startup: { forRoot: { dsn: `postgresql://app@127.0.0.1:${port}/app?${query}`, awsIamAuth: iam } },
      key: 'awsIamAuth',
      says: /TLS without verifying the server .* would hand a 15-minute IAM token to anyone in the middle.*awsIamAuth\.allowUnverifiedTls: true/,
    })),
    {
      name: 'a YAML dsn of another scheme',
      startup: { yaml: `connections:\n  default:\n    dsn: "mysql://app:${SECRET}@127.0.0.1:${port}/app"\n` },
      key: 'connections.default.dsn',
      says: /uses the scheme "mysql"/,
    },
  ];
}

// Named and counted before the servers listen; each test builds its row again with their real addresses.
const INVALID_NAMES = invalidRows({
  port: 1,
  secretsManagerEndpoint: 'http://127.0.0.1:1',
  vaultAddress: 'http://127.0.0.1:1',
}).map((row) => row.name);
const counter = new CountingServer();
let emulator: SecretsManagerEmulator;
let vaultEmulator: VaultEmulator;
let targets: Targets;

beforeAll(async () => {
  // An AWS client that got this far must not look for credentials anywhere but here.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLEMATRIX001';
  process.env.AWS_SECRET_ACCESS_KEY = 'matrix-emulator-secret';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // No row gets past validation: the Vault emulator needs no database behind it.
  delete process.env.VAULT_ADDR;
  delete process.env.VAULT_TOKEN;
  emulator = await new SecretsManagerEmulator().start();
  vaultEmulator = await new VaultEmulator({ admin: () => Promise.reject(new Error('no database')) }).start();
  targets = {
    port: await counter.start(),
    secretsManagerEndpoint: emulator.endpoint,
    vaultAddress: vaultEmulator.address,
  };
});

afterAll(async () => {
  await Promise.all([counter.stop(), emulator.stop(), vaultEmulator.stop()]);
});

describe(`refuses ${INVALID_NAMES.length} invalid option sets at startup, naming the key, with 0 connections attempted`, () => {
  const refusals: string[] = [];

  it.each(INVALID_NAMES)('%s', async (name) => {
    const row = invalidRows(targets).find((candidate) => candidate.name === name)!;
    const error = await startApp(row.startup).then(
      async (app) => {
        await app.close();
        return new Error(`${row.name}: started`);
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DatabaseConfigError);
    const { message, stack = '', problems } = error as DatabaseConfigError;
    refusals.push(`${row.name}\n${message}`);

    expect(message).toContain(row.key);
    expect(message).toMatch(row.says);
    // A problem in a file names the file, whichever step found it.
    if ('yaml' in row.startup) expect(message).toMatch(/^Invalid nestjs-rotating-pg config in \/\S+\/config-\d+\.yaml/);
    expect(problems).toHaveLength(row.problems ?? 1);
    expect(new Set(problems).size).toBe(problems.length);
    for (const line of problems) {
      // Every line names what it is about: no ": message" with an empty key, no zod default text.
      expect(line).toMatch(/^[^\s:]/);
      expect(line).not.toMatch(/^(undefined|null)\b|\.: |Invalid input|Too small|expected \w+, received/);
    }
    expect(message.split('\n').filter((line) => /^\s*- :/.test(line))).toEqual([]);
    for (const secret of [SECRET, encodeURIComponent(SECRET), ...(row.absent ?? [])]) {
      expect(message).not.toContain(secret);
      expect(stack).not.toContain(secret);
      expect(problems.join('\n')).not.toContain(secret);
    }
  });

  it('attempted 0 database connections, 0 Secrets Manager calls and 0 Vault calls across all of them', () => {
    expect(refusals).toHaveLength(INVALID_NAMES.length);
    expect(counter.accepted).toBe(0);
    expect(emulator.totalCalls).toBe(0);
    expect(vaultEmulator.totalCalls).toBe(0);
    // PRINT_REFUSALS=1 shows every message the matrix produced, to read them as a user would.
    if (process.env.PRINT_REFUSALS) console.log(refusals.join('\n\n'));
  });
});

describe('valid edge cases start and query a real PostgreSQL', () => {
  let server: TestPostgres;
  let role: TestRole;
  let host: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    role = await createTestRole(server, 'edge');
    await setPassword(server, role.username, EDGE_PASSWORD);
    host = `${server.host}:${server.port}`;
  });

  afterAll(() => server?.stop());

  const encodedDsn = () =>
    `postgresql://${role.username}:${encodeURIComponent(EDGE_PASSWORD)}@${host}/${role.username}`;
  const valid: Array<[string, () => Startup]> = [
    ["connectionMaxLifetime '14m59s'", () => ({ forRoot: { dsn: encodedDsn(), connectionMaxLifetime: '14m59s' } })],
    ['connectionMaxLifetime 840000 (ms)', () => ({ forRoot: { dsn: encodedDsn(), connectionMaxLifetime: 840_000 } })],
    [
      "connectionMaxIdleTime equal to the lifetime ('5m' and 300000)",
      () => ({ forRoot: { dsn: encodedDsn(), connectionMaxLifetime: '5m', connectionMaxIdleTime: 300_000 } }),
    ],
    ['a percent-encoded DSN password, through forRootAsync', () => ({ forRootAsync: () => ({ dsn: encodedDsn() }) })],
    [
      "libpq's key=value DSN with a quoted password",
      () => ({
        forRoot: {
          dsn: `host=${server.host} port=${server.port} dbname=${role.username} user=${role.username} password='${EDGE_PASSWORD}' sslmode=disable`,
        },
      }),
    ],
    [
      'maxOpenConnections: 1 alone (the idle default shrinks to fit)',
      () => ({ forRoot: { dsn: encodedDsn(), maxOpenConnections: 1 } }),
    ],
    [
      "libpq's connect_timeout in the dsn (honoured as connectionTimeout)",
      () => ({ forRoot: { dsn: `${encodedDsn()}?connect_timeout=5&sslmode=disable` } }),
    ],
    [
      'YAML with connection_max_lifetime: 14m59s and an encoded password',
      () => ({
        yaml: `connections:\n  default:\n    driver: postgres\n    dsn: "${encodedDsn()}"\n    connection_max_lifetime: 14m59s\n    connection_max_idle_time: "14m59s"\n`,
      }),
    ],
  ];

  it.each(valid)('%s', async (_name, startup) => {
    const app = await startApp(startup());
    try {
      const { rows } = await app.get(DbService).query<{ who: string }>('SELECT current_user AS who');
      expect(rows).toEqual([{ who: role.username }]);
    } finally {
      await app.close();
    }
  });
});
