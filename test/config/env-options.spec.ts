import { databaseOptionsFromEnv } from '../../src/config/env-options.js';
import { resolveDatabaseOptions } from '../../src/config/resolve-database-options.js';
import { DatabaseConfigError } from '../../src/errors/errors.js';

/** DB_AUTH and the variables each source reads: the options they give, and the module accepts them as they are. */
const TLS_DSN = 'postgresql://app@db.internal:5432/app?sslmode=verify-full';
const PASSWORD_DSN = 'postgresql://app:pw@db.internal:5432/app?sslmode=verify-full';

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    databaseOptionsFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseConfigError);
    return (error as DatabaseConfigError).problems;
  }
  throw new Error('expected the environment to be rejected');
}

describe('databaseOptionsFromEnv: each DB_AUTH value', () => {
  it.each([
    ['password (the default)', { DATABASE_URL: PASSWORD_DSN }, { dsn: PASSWORD_DSN }, 'static'],
    ['password', { DATABASE_URL: PASSWORD_DSN, DB_AUTH: 'password' }, { dsn: PASSWORD_DSN }, 'static'],
    [
      'iam',
      { DB_AUTH: 'iam', AWS_REGION: 'eu-west-1', DB_IAM_USER: 'iam_app' },
      { awsIamAuth: { enabled: true, region: 'eu-west-1', dbUser: 'iam_app' } },
      'aws-iam',
    ],
    [
      'secrets-manager',
      { DB_AUTH: 'secrets-manager', DB_SECRET_ID: 'prod/app', AWS_REGION: 'eu-west-1' },
      { secretsManager: { secretId: 'prod/app', region: 'eu-west-1', endpoint: undefined } },
      'secrets-manager',
    ],
    [
      'dsql',
      { DB_AUTH: 'dsql', AWS_REGION: 'us-east-1' },
      { dsqlAuth: { enabled: true, region: 'us-east-1', allowPlaintext: undefined } },
      'dsql',
    ],
    ['entra-id', { DB_AUTH: 'entra-id' }, { entraIdAuth: { enabled: true, allowPlaintext: undefined } }, 'entra-id'],
    [
      'cloud-sql-iam',
      { DB_AUTH: 'cloud-sql-iam' },
      { cloudSqlIamAuth: { enabled: true, allowPlaintext: undefined } },
      'cloud-sql-iam',
    ],
    [
      'vault, a dynamic role with VAULT_TOKEN',
      {
        DB_AUTH: 'vault',
        VAULT_ADDR: 'https://vault.internal:8200',
        VAULT_TOKEN: 'hvs.env-token',
        VAULT_NAMESPACE: 'team-a',
        DB_VAULT_ROLE: 'app-rw',
        DB_VAULT_MOUNT: 'postgres',
      },
      {
        vault: {
          address: 'https://vault.internal:8200',
          namespace: 'team-a',
          mount: 'postgres',
          role: 'app-rw',
          token: 'hvs.env-token',
        },
      },
      'vault',
    ],
    [
      'vault, a static role with AppRole (a VAULT_TOKEN left in the shell does not override it)',
      {
        DB_AUTH: 'vault',
        VAULT_ADDR: 'https://vault.internal:8200',
        VAULT_TOKEN: 'hvs.left-over',
        DB_VAULT_STATIC_ROLE: 'app',
        VAULT_ROLE_ID: 'role-id-1',
        VAULT_SECRET_ID: 'secret-id-1',
        VAULT_APPROLE_MOUNT: 'approle-apps',
      },
      {
        vault: {
          address: 'https://vault.internal:8200',
          staticRole: 'app',
          appRole: { roleId: 'role-id-1', secretId: 'secret-id-1', mount: 'approle-apps' },
        },
      },
      'vault',
    ],
    [
      'vault, a KV v2 secret',
      {
        DB_AUTH: 'vault',
        VAULT_ADDR: 'https://vault.internal:8200',
        VAULT_TOKEN: 'hvs.env-token',
        DB_VAULT_KV_PATH: 'apps/orders/db',
        DB_VAULT_KV_MOUNT: 'kv',
        DB_VAULT_KV_USERNAME_KEY: 'user',
        DB_VAULT_KV_PASSWORD_KEY: 'pass',
      },
      {
        vault: {
          address: 'https://vault.internal:8200',
          kv: { path: 'apps/orders/db', mount: 'kv', usernameKey: 'user', passwordKey: 'pass' },
          token: 'hvs.env-token',
        },
      },
      'vault',
    ],
    [
      'vault, Kubernetes login',
      {
        DB_AUTH: 'vault',
        VAULT_ADDR: 'https://vault.internal:8200',
        DB_VAULT_ROLE: 'app-rw',
        VAULT_KUBERNETES_ROLE: 'app-pod',
        VAULT_KUBERNETES_TOKEN_PATH: '/var/run/token',
        VAULT_KUBERNETES_MOUNT: 'k8s-east',
      },
      {
        vault: {
          address: 'https://vault.internal:8200',
          role: 'app-rw',
          kubernetes: { role: 'app-pod', tokenPath: '/var/run/token', mount: 'k8s-east' },
        },
      },
      'vault',
    ],
  ])('%s', (_what, variables, expected, kind) => {
    const options = databaseOptionsFromEnv({ DATABASE_URL: TLS_DSN, ...variables });
    expect(options).toMatchObject({ dsn: TLS_DSN, ...expected });
    expect(resolveDatabaseOptions(options!).credentialSource.kind).toBe(kind);
  });

  it.each(['dsql', 'entra-id', 'cloud-sql-iam'])(
    'DB_ALLOW_PLAINTEXT=true lets %s log in without TLS (the Cloud SQL Auth Proxy on localhost)',
    (auth) => {
      const env = { DATABASE_URL: 'postgresql://app@127.0.0.1:5432/app', DB_AUTH: auth, AWS_REGION: 'us-east-1' };
      expect(() => resolveDatabaseOptions(databaseOptionsFromEnv(env)!)).toThrow(/allowPlaintext/);
      const options = databaseOptionsFromEnv({ ...env, DB_ALLOW_PLAINTEXT: 'true' })!;
      expect(resolveDatabaseOptions(options).credentialSource.kind).toBe(auth);
    },
  );

  it('returns undefined without DATABASE_URL or DB_CONFIG', () => {
    expect(databaseOptionsFromEnv({ DB_AUTH: 'vault' })).toBeUndefined();
  });
});

describe('databaseOptionsFromEnv: wrong or missing variables, each named', () => {
  it.each([
    ['iam', {}, ['AWS_REGION: required when DB_AUTH=iam; set it']],
    ['secrets-manager', {}, ['DB_SECRET_ID: required when DB_AUTH=secrets-manager; set it']],
    ['dsql', {}, ['AWS_REGION: required when DB_AUTH=dsql; set it']],
    [
      'vault',
      {},
      [
        'DB_VAULT_ROLE or DB_VAULT_STATIC_ROLE or DB_VAULT_KV_PATH: required when DB_AUTH=vault; set it',
        'VAULT_ADDR: required when DB_AUTH=vault; set it',
        'VAULT_TOKEN: required when DB_AUTH=vault; set it',
      ],
    ],
    [
      'vault',
      { VAULT_ADDR: 'https://v:8200', VAULT_TOKEN: 't', DB_VAULT_ROLE: 'a', DB_VAULT_STATIC_ROLE: 'b' },
      ['DB_VAULT_ROLE, DB_VAULT_STATIC_ROLE: set only one of them when DB_AUTH=vault; they choose different things'],
    ],
    [
      'vault',
      { VAULT_ADDR: 'https://v:8200', DB_VAULT_ROLE: 'a', VAULT_ROLE_ID: 'role-id-1' },
      ['VAULT_SECRET_ID: required when DB_AUTH=vault; set it'],
    ],
    [
      'vault',
      { VAULT_ADDR: 'https://v:8200', DB_VAULT_ROLE: 'a', VAULT_SECRET_ID: 'secret-id-1' },
      ['VAULT_ROLE_ID: required when DB_AUTH=vault; set it'],
    ],
    [
      'vault',
      {
        VAULT_ADDR: 'https://v:8200',
        DB_VAULT_ROLE: 'a',
        VAULT_ROLE_ID: 'role-id-1',
        VAULT_SECRET_ID: 'secret-id-1',
        VAULT_KUBERNETES_ROLE: 'app-pod',
      },
      ['VAULT_ROLE_ID, VAULT_KUBERNETES_ROLE: set only one of them when DB_AUTH=vault; they choose different things'],
    ],
    [
      'cloud-sql-iam',
      { DB_ALLOW_PLAINTEXT: 'yes' },
      ['DB_ALLOW_PLAINTEXT: must be true or false (value not shown); set it to true, or leave it out'],
    ],
  ])('DB_AUTH=%s with %j', (auth, variables, problems) => {
    expect(problemsOf({ DATABASE_URL: TLS_DSN, DB_AUTH: auth, ...variables })).toEqual(problems);
  });

  it('an empty variable counts as missing', () => {
    expect(problemsOf({ DATABASE_URL: TLS_DSN, DB_AUTH: 'iam', AWS_REGION: '' })).toEqual([
      'AWS_REGION: required when DB_AUTH=iam; set it',
    ]);
  });

  it('lists every problem in one error, and an unknown DB_AUTH with the values it could be', () => {
    expect(() => databaseOptionsFromEnv({ DATABASE_URL: TLS_DSN, DB_AUTH: 'vault' })).toThrow(
      /^Invalid nestjs-rotating-pg environment \(3 problems\):\n {2}- DB_VAULT_ROLE or DB_VAULT_STATIC_ROLE/,
    );
    expect(problemsOf({ DATABASE_URL: TLS_DSN, DB_AUTH: 'gcp' })).toEqual([
      'DB_AUTH: "gcp" is not one of password, iam, secrets-manager, dsql, entra-id, cloud-sql-iam, vault; set one of them, or leave it out for password (the password in DATABASE_URL)',
    ]);
  });
});
