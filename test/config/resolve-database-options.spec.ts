import { DatabaseConfigError } from '../../src/errors/errors.js';
import { resolveDatabaseOptions } from '../../src/config/resolve-database-options.js';
import type { DatabaseModuleOptions } from '../../src/config/database-options.interface.js';

const base: DatabaseModuleOptions = { dsn: 'postgresql://app:s3cret-pass@db.internal:5432/app' };

function problemsOf(options: DatabaseModuleOptions): string[] {
  try {
    resolveDatabaseOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseConfigError);
    expect((error as Error).message).not.toContain('s3cret-pass');
    return [...(error as DatabaseConfigError).problems];
  }
  throw new Error('expected the options to be rejected');
}

describe('option validation', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveDatabaseOptions(base);
    expect(resolved).toMatchObject({
      name: 'default',
      maxOpenConnections: 10,
      maxIdleConnections: 2,
      connectionMaxLifetimeMs: 14 * 60_000,
      connectionMaxLifetimeJitterMs: 84_000,
      connectionMaxIdleTimeMs: 10 * 60_000,
      connectionTimeoutMs: 10_000,
      connection: { host: 'db.internal', port: 5432, database: 'app', application_name: 'nestjs-rotating-pg' },
      credentialSource: { kind: 'static', username: 'app' },
    });
  });

  it('never hands the DSN itself to pg, so it cannot replace the password function', () => {
    const resolved = resolveDatabaseOptions(base);
    expect(resolved.connection).not.toHaveProperty('connectionString');
    expect(resolved.connection).not.toHaveProperty('password');
  });

  it.each(['15m', '900s', '1h', 0, '-1m', 'abc', '16m'])(
    'rejects connectionMaxLifetime %p, naming the key',
    (value) => {
      const problems = problemsOf({ ...base, connectionMaxLifetime: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^connectionMaxLifetime: /);
    },
  );

  it.each([
    ['14m59s', 899_000],
    ['14m59.5s', 899_500],
    ['30s', 30_000],
    [60_000, 60_000],
  ])('accepts connectionMaxLifetime %p', (value, ms) => {
    expect(
      resolveDatabaseOptions({ ...base, connectionMaxLifetime: value, connectionMaxIdleTime: '10s' })
        .connectionMaxLifetimeMs,
    ).toBe(ms);
  });

  it('says why 15m is refused and what to set instead', () => {
    expect(problemsOf({ ...base, connectionMaxLifetime: '15m' })[0]).toContain('Set it to "14m"');
  });

  it('rejects an idle time above the lifetime', () => {
    expect(problemsOf({ ...base, connectionMaxLifetime: '5m', connectionMaxIdleTime: '10m' })).toEqual([
      expect.stringMatching(/^connectionMaxIdleTime: must not exceed connectionMaxLifetime/),
    ]);
  });

  it('caps the default idle time at a shorter lifetime', () => {
    expect(resolveDatabaseOptions({ ...base, connectionMaxLifetime: '5m' }).connectionMaxIdleTimeMs).toBe(300_000);
  });

  it('rejects more idle connections than open ones', () => {
    expect(problemsOf({ ...base, maxOpenConnections: 2, maxIdleConnections: 3 })).toEqual([
      expect.stringMatching(/^maxIdleConnections: must not exceed maxOpenConnections/),
    ]);
  });

  it.each([0, -1, 1.5])('rejects maxOpenConnections %p', (value) => {
    expect(problemsOf({ ...base, maxOpenConnections: value, maxIdleConnections: 0 })[0]).toMatch(
      /^maxOpenConnections: /,
    );
  });

  it.each([0, '0s', '-1s'])('rejects a non-positive connectionTimeout %p', (value) => {
    expect(problemsOf({ ...base, connectionTimeout: value })[0]).toMatch(/^connectionTimeout: .*greater than 0/);
  });

  it('rejects unknown keys instead of falling back to a default', () => {
    const problems = problemsOf({ ...base, connectionMaxLifeTime: '14m' } as DatabaseModuleOptions);
    expect(problems).toEqual([
      expect.stringMatching(/^connectionMaxLifeTime: is not an option.*connectionMaxLifetime/),
    ]);
  });

  it('rejects unknown keys inside nested blocks', () => {
    const problems = problemsOf({
      dsn: 'postgresql://app@db:5432/app?sslmode=require',
      awsIamAuth: { enabled: true, region: 'us-east-1', db_user: 'x' } as never,
    });
    expect(problems).toEqual([expect.stringMatching(/^awsIamAuth\.db_user: is not an option/)]);
  });

  it('lists every problem in one error', () => {
    const problems = problemsOf({
      ...base,
      connectionMaxLifetime: '15m',
      connectionTimeout: 'soon',
      maxIdleConnections: -1,
      extra: true,
    } as DatabaseModuleOptions);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(
      ['connectionMaxLifetime', 'connectionTimeout', 'extra', 'maxIdleConnections'].sort(),
    );
  });

  it('requires a credential source', () => {
    expect(problemsOf({ dsn: 'postgresql://app@db:5432/app' })).toEqual([
      expect.stringMatching(
        /no credential source: set exactly one of password, awsIamAuth, dsqlAuth, entraIdAuth, cloudSqlIamAuth, secretsManager, vault, credentialProvider/,
      ),
    ]);
  });

  it('refuses two credential sources', () => {
    const problems = problemsOf({
      ...base,
      secretsManager: { secretId: 'prod/app' },
    });
    expect(problems).toEqual([expect.stringMatching(/dsn and secretsManager .*choose exactly one/)]);
  });

  it('ignores a disabled awsIamAuth block', () => {
    expect(
      resolveDatabaseOptions({ ...base, awsIamAuth: { enabled: false, region: 'us-east-1' } }).credentialSource.kind,
    ).toBe('static');
  });

  it('requires TLS for IAM logins unless plaintext is explicitly allowed', () => {
    const iam = { dsn: 'postgresql://app@db:5432/app', awsIamAuth: { enabled: true, region: 'us-east-1' } };
    expect(problemsOf(iam)[0]).toMatch(/^awsIamAuth: RDS accepts IAM logins over TLS only/);
    expect(
      resolveDatabaseOptions({ ...iam, awsIamAuth: { ...iam.awsIamAuth, allowPlaintext: true } }).credentialSource,
    ).toMatchObject({
      kind: 'aws-iam',
      username: 'app',
      signingHost: 'db',
      signingPort: 5432,
      tokenTtlMs: 600_000,
    });
  });

  it('rejects an IAM token TTL of 15m or more', () => {
    const problems = problemsOf({
      dsn: 'postgresql://app@db:5432/app?sslmode=require',
      awsIamAuth: { enabled: true, region: 'us-east-1', tokenTtl: '15m' },
    });
    expect(problems).toEqual([expect.stringMatching(/^awsIamAuth\.tokenTtl: "15m" is not below 15m/)]);
  });

  it('reports an unparseable DSN without quoting it', () => {
    const problems = problemsOf({ dsn: 'postgresql://app:s3cret-pass@db:notaport/app' });
    expect(problems.join('\n')).toMatch(/^dsn: cannot be parsed/m);
  });

  it('never echoes an explicit password', () => {
    problemsOf({ host: 'db', user: 'app', password: 's3cret-pass', maxOpenConnections: 0 });
  });

  it('passes pg connection settings through in pg’s names and milliseconds', () => {
    const { connection } = resolveDatabaseOptions({
      ...base,
      statementTimeout: '30s',
      queryTimeout: 45_000,
      lockTimeout: '2s',
      idleInTransactionSessionTimeout: '1m',
      keepAlive: true,
      keepAliveInitialDelay: '10s',
      options: '-c search_path=app',
    });
    expect(connection).toMatchObject({
      statement_timeout: 30_000,
      query_timeout: 45_000,
      lock_timeout: 2_000,
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      options: '-c search_path=app',
    });
    expect(resolveDatabaseOptions(base).connection).not.toHaveProperty('query_timeout');
  });

  it('refuses pg connection settings that are not positive durations or of the wrong type, naming each key', () => {
    const problems = problemsOf({
      ...base,
      statementTimeout: '0s',
      queryTimeout: '-1s',
      lockTimeout: 'soon',
      keepAlive: 'yes',
      types: {},
    } as never);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'keepAlive',
      'lockTimeout',
      'queryTimeout',
      'statementTimeout',
      'types',
    ]);
  });
});

describe('option validation on well-typed values', () => {
  it('reports a value of the wrong type once, and still runs the other rules', () => {
    const problems = problemsOf({ ...base, maxOpenConnections: Number.NaN, connectionMaxLifetime: '15m' });
    expect(problems.filter((line) => line.startsWith('maxOpenConnections'))).toHaveLength(1);
    expect(problems.some((line) => line.startsWith('connectionMaxLifetime'))).toBe(true);
  });

  it('does not add "no credential source" when the source given has the wrong shape', () => {
    const problems = problemsOf({ host: 'db', user: 'app', credentialProvider: { get: () => undefined } } as never);
    expect(problems).toEqual([expect.stringMatching(/^credentialProvider: must be an object with a fetch/)]);
  });

  it('still says there is no credential source when only an unrelated value is wrong', () => {
    const problems = problemsOf({ host: 'db', user: 'app', maxOpenConnections: 'ten' } as never);
    expect(problems).toEqual([
      expect.stringMatching(/^maxOpenConnections: /),
      expect.stringMatching(/^no credential source: set exactly one of password, awsIamAuth/),
    ]);
  });
});

describe('the dsn', () => {
  it.each([
    ['not a url', /^dsn: cannot be parsed/],
    ['127.0.0.1:5432/db', /^dsn: cannot be parsed/],
    ['postgresql//app:s3cret-pass@db:5432/app', /^dsn: cannot be parsed/],
    ['', /^dsn: is empty/],
    ['mysql://app:s3cret-pass@db:3306/app', /^dsn: uses the scheme "mysql", not PostgreSQL/],
    ['https://db.internal/app', /^dsn: uses the scheme "https"/],
    ["host=db password='s3cret-pass unterminated", /^dsn: cannot be parsed/],
  ])('%p is refused, naming dsn and never quoting it', (dsn, problem) => {
    const problems = problemsOf({ dsn });
    expect(problems).toEqual([expect.stringMatching(problem)]);
    expect(problems.join('\n')).not.toContain('s3cret-pass');
  });

  it("accepts libpq's key=value form with quoted values, as the YAML file's Go service does", () => {
    const resolved = resolveDatabaseOptions({
      dsn: "host=db.internal port=6432 dbname=orders user=app password='s3cret pass\\'s' sslmode=disable application_name=api",
    });
    expect(resolved.connection).toMatchObject({
      host: 'db.internal',
      port: 6432,
      database: 'orders',
      application_name: 'api',
      ssl: false,
    });
    expect(resolved.credentialSource).toEqual({ kind: 'static', username: 'app', password: "s3cret pass's" });
  });

  it('accepts postgres:// and a percent-encoded password', () => {
    const resolved = resolveDatabaseOptions({ dsn: 'postgres://app:p%40ss%2Fw0rd@db:5432/app' });
    expect(resolved.credentialSource).toEqual({ kind: 'static', username: 'app', password: 'p@ss/w0rd' });
  });
});

describe('issue 20: durations that feed a timer', () => {
  const limit = /is longer than 2147483647 ms \(about 24\.8 days\), the longest delay a Node\.js timer can hold/;

  it.each([
    ['connectionTimeout', { connectionTimeout: '600h' }],
    ['statementTimeout', { statementTimeout: '600h' }],
    ['queryTimeout', { queryTimeout: 2 ** 31 }],
    ['lockTimeout', { lockTimeout: '600h' }],
    ['idleInTransactionSessionTimeout', { idleInTransactionSessionTimeout: '1000h' }],
    ['keepAliveInitialDelay', { keepAliveInitialDelay: '720h' }],
    [
      'secretsManager.refreshInterval',
      { dsn: 'postgresql://app@db:5432/app', secretsManager: { secretId: 's', refreshInterval: '720h' } },
    ],
  ])('refuses %s past 2^31-1 ms, with the limit in the message', (key, options) => {
    const problems = problemsOf({ ...base, ...options });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${key.replace('.', '\\.')}: .*${limit.source}`))]);
  });

  it('accepts exactly 2^31-1 ms', () => {
    expect(resolveDatabaseOptions({ ...base, statementTimeout: 2 ** 31 - 1 }).connection.statement_timeout).toBe(
      2 ** 31 - 1,
    );
  });
});

describe('issue 20: ports', () => {
  it.each([0, 70_000, 65_536, -1])('refuses port %p', (port) => {
    expect(problemsOf({ host: 'db', port, user: 'app', password: 's3cret-pass' })).toEqual([
      expect.stringMatching(/^port: .* is not a TCP port; use a whole number from 1 to 65535/),
    ]);
  });

  it('accepts 65535', () => {
    expect(
      resolveDatabaseOptions({ host: 'db', port: 65_535, user: 'app', password: 's3cret-pass' }).connection.port,
    ).toBe(65_535);
  });

  it.each(['postgresql://app:s3cret-pass@db:0/app', 'host=db port=70000 user=app password=s3cret-pass'])(
    'refuses a dsn port out of range: %s',
    (dsn) => {
      expect(problemsOf({ dsn })).toEqual([expect.stringMatching(/^dsn: /)]);
    },
  );

  it('refuses awsIamAuth.signingPort 70000', () => {
    const problems = problemsOf({
      dsn: 'postgresql://app@db:5432/app?sslmode=verify-full',
      awsIamAuth: { enabled: true, region: 'us-east-1', signingPort: 70_000 },
    });
    expect(problems).toEqual([expect.stringMatching(/^awsIamAuth\.signingPort: 70000 is not a TCP port/)]);
  });
});

describe('issue 20: settings in the dsn that pg or pg-pool would take behind the module', () => {
  it.each([
    [
      'maxUses=1',
      /^dsn: sets maxUses, which the module takes from its own options only; remove it from the dsn and use the option connectionMaxLifetime/,
    ],
    ['maxLifetimeSeconds=60', /^dsn: sets maxLifetimeSeconds, .*use the option connectionMaxLifetime/],
    ['min=2', /^dsn: sets min, a pg-pool setting the module does not offer/],
    ['allowExitOnIdle=true', /^dsn: sets allowExitOnIdle, a pg-pool setting the module does not offer/],
    ['idleTimeoutMillis=1', /^dsn: sets idleTimeoutMillis, .*use the option connectionMaxIdleTime/],
    ['max=100', /^dsn: sets max, .*use the option maxOpenConnections/],
    ['statement_timeout=1', /^dsn: sets statement_timeout, .*use the option statementTimeout/],
    [
      'target_session_attrs=read-write',
      /^dsn: has target_session_attrs, which pg does not implement: .*writer \(or reader\) endpoint/,
    ],
    [
      'dbnmae=app',
      /^dsn: has dbnmae, which is not a connection option pg understands \(libpq: invalid connection option "dbnmae"\)/,
    ],
  ])('refuses ?%s, naming dsn and what to do', (query, says) => {
    expect(problemsOf({ dsn: `postgresql://app:s3cret-pass@db:5432/app?${query}` })).toEqual([
      expect.stringMatching(says),
    ]);
  });

  it('refuses a misspelt keyword in the key=value form, like libpq', () => {
    expect(problemsOf({ dsn: 'host=db user=app password=s3cret-pass dbnmae=app' })).toEqual([
      expect.stringMatching(/^dsn: has dbnmae, .*invalid connection option "dbnmae"/),
    ]);
  });

  it('reports each key it refuses', () => {
    expect(problemsOf({ dsn: 'postgresql://app:s3cret-pass@db:5432/app?maxUses=1&min=1' }).length).toBe(2);
  });

  it.each([
    ['postgresql://app:s3cret-pass@db:5432/app?connect_timeout=7', 7_000],
    ['host=db user=app password=s3cret-pass dbname=app connect_timeout=7', 7_000],
    // libpq reads 1 as 2.
    ['postgresql://app:s3cret-pass@db:5432/app?connect_timeout=1', 2_000],
  ])("honours libpq's connect_timeout as connectionTimeout: %s", (dsn, ms) => {
    const resolved = resolveDatabaseOptions({ dsn });
    expect(resolved.connectionTimeoutMs).toBe(ms);
    expect(resolved.connection).not.toHaveProperty('connect_timeout');
  });

  it.each(['0', 'abc', '-5', '1.5'])('refuses connect_timeout=%s (the module never waits without limit)', (value) => {
    expect(problemsOf({ dsn: `postgresql://app:s3cret-pass@db:5432/app?connect_timeout=${value}` })).toEqual([
      expect.stringMatching(
        /^dsn: has a connect_timeout that is not a whole number of seconds of at least 1.*connectionTimeout/,
      ),
    ]);
  });

  it('refuses connect_timeout next to connectionTimeout', () => {
    expect(
      problemsOf({ dsn: 'postgresql://app:s3cret-pass@db:5432/app?connect_timeout=5', connectionTimeout: '3s' }),
    ).toEqual([expect.stringMatching(/^dsn: sets connect_timeout and the option connectionTimeout is set too/)]);
  });

  it('passes only the settings it validated to pg', () => {
    const resolved = resolveDatabaseOptions({
      dsn: 'postgresql://app:s3cret-pass@db:5432/app?sslmode=disable&application_name=api&options=-c%20search_path%3Dapp',
    });
    expect(Object.keys(resolved.connection).sort()).toEqual([
      'application_name',
      'database',
      'host',
      'options',
      'port',
      'ssl',
      'sslmode',
    ]);
  });
});

describe('issue 20: maxOpenConnections below the default idle count', () => {
  it('starts with maxOpenConnections: 1 alone, the idle default shrinking to fit', () => {
    expect(resolveDatabaseOptions({ ...base, maxOpenConnections: 1 })).toMatchObject({
      maxOpenConnections: 1,
      maxIdleConnections: 1,
    });
  });

  it('still refuses an explicit maxIdleConnections above it', () => {
    expect(problemsOf({ ...base, maxOpenConnections: 1, maxIdleConnections: 2 })).toEqual([
      expect.stringMatching(/^maxIdleConnections: must not exceed maxOpenConnections/),
    ]);
  });
});

describe('issue 20: TLS', () => {
  const iam = { enabled: true, region: 'us-east-1' } as const;

  it.each([
    ['sslmode=no-verify', { dsn: 'postgresql://app@db:5432/app?sslmode=no-verify' }],
    [
      'uselibpqcompat=true&sslmode=require',
      { dsn: 'postgresql://app@db:5432/app?uselibpqcompat=true&sslmode=require' },
    ],
    ['ssl: { rejectUnauthorized: false }', { host: 'db', user: 'app', ssl: { rejectUnauthorized: false } }],
  ])('refuses unverified TLS for IAM tokens (%s)', (_what, options) => {
    expect(problemsOf({ ...options, awsIamAuth: iam })).toEqual([
      expect.stringMatching(
        /^awsIamAuth: TLS without verifying the server .* would hand a 15-minute IAM token to anyone in the middle.*global-bundle\.pem.*awsIamAuth\.allowUnverifiedTls: true/,
      ),
    ]);
  });

  it('allows it with awsIamAuth.allowUnverifiedTls', () => {
    const resolved = resolveDatabaseOptions({
      dsn: 'postgresql://app@db:5432/app?sslmode=no-verify',
      awsIamAuth: { ...iam, allowUnverifiedTls: true },
    });
    expect(resolved.credentialSource.kind).toBe('aws-iam');
  });

  it.each([
    ['a remote host without sslmode', 'postgresql://app:s3cret-pass@db.internal:5432/app', true],
    [
      'a remote host with sslmode=disable (asked for)',
      'postgresql://app:s3cret-pass@db.internal:5432/app?sslmode=disable',
      false,
    ],
    [
      'a remote host with sslmode=verify-full',
      'postgresql://app:s3cret-pass@db.internal:5432/app?sslmode=verify-full',
      false,
    ],
    ['127.0.0.1', 'postgresql://app:s3cret-pass@127.0.0.1:5432/app', false],
    ['localhost', 'postgresql://app:s3cret-pass@localhost:5432/app', false],
    ['[::1]', 'postgresql://app:s3cret-pass@[::1]:5432/app', false],
  ])('flags plaintext nobody asked for: %s', (_what, dsn, flagged) => {
    expect(resolveDatabaseOptions({ dsn }).plaintextUnasked).toBe(flagged);
  });

  it('takes ssl: false as asking for plaintext', () => {
    expect(
      resolveDatabaseOptions({ host: 'db.internal', user: 'app', password: 's3cret-pass', ssl: false })
        .plaintextUnasked,
    ).toBe(false);
  });
});
