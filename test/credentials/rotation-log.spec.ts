import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DatabaseAuthError, DbService } from '../../src/index.js';
import { rotateSecret, SecretsManagerEmulator, startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { captureNestLog, type LogLine } from '../support/captured-log.js';
import { eventually, runLoad } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword } from '../support/roles.js';

let server: TestPostgres;
let log: ReturnType<typeof captureNestLog>;
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST00003';
  process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
  server = await startTestPostgres();
});
afterAll(() => server.stop());
beforeEach(() => {
  log = captureNestLog();
});
afterEach(() => log.restore());

const show = (lines: LogLine[]) => lines.map((line) => `${line.level}: ${line.message}`);

function expectNoSecretIn(lines: LogLine[], secrets: string[]): void {
  const text = JSON.stringify(lines);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('the rotation story in the application log (through Nest Logger)', () => {
  it('a password rotation and a username rotation: new credentials picked up, the old username drained, all at log level', async () => {
    const user = await createTestRole(server, 'logged');
    const twin = await createTestRole(server, 'logged_twin');
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({
      name: 'logged',
      dsn: user.bareDsn,
      credentialProvider: provider,
      maxOpenConnections: 4,
    });
    await db.query('SELECT 1');
    const password = newPassword();
    await setPassword(server, user.username, password);
    provider.publish({ username: user.username, password }, 'v1');
    await db.refreshCredentials();
    await db.query('SELECT 1');
    provider.publish({ username: twin.username, password: twin.password }, 'v2');
    await db.refreshCredentials();
    await db.query('SELECT 1');
    await eventually('the old generation to drain', () => db.stats().generations === 1);
    await eventually('the drain to be logged', () => log.of('nestjs-rotating-pg:logged').length >= 4);
    await db.onApplicationShutdown();

    const lines = log.of('nestjs-rotating-pg:logged');
    expect(show(lines)).toEqual([
      `log: new credentials from test (version v0) for user ${user.username}`,
      `log: new credentials from test (version v1) for user ${user.username}; new connections log in with them, open ones keep running`,
      `log: new credentials from test (version v2) for user ${twin.username}; the username changed from ${user.username}: new connections log in as ${twin.username}, those of ${user.username} close as they are given back`,
      `log: every connection of user ${user.username} has closed; all connections now log in as ${twin.username}`,
    ]);
    expectNoSecretIn(log.lines, [user.password, password, twin.password]);
  });

  it('a Secrets Manager outage: a warning per failed fetch while cached credentials serve, then one line when it answers again', async () => {
    const emulator = await new SecretsManagerEmulator().start();
    const admin = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint });
    try {
      const role = await createTestRole(server, 'outage');
      const secret = { engine: 'postgres', username: role.username, password: role.password };
      emulator.createSecret('prod/logged', secret);
      const db = await DbService.create({
        name: 'outage',
        dsn: role.bareDsn,
        secretsManager: {
          secretId: 'prod/logged',
          region: 'us-east-1',
          endpoint: emulator.endpoint,
          refreshInterval: '1s',
        },
      });
      emulator.fault = 'unavailable';
      const load = runLoad(2, 3_000, () => db.query('SELECT 1'));
      await eventually('two failed fetches', () => db.stats().credentials.consecutiveFailures >= 2);
      emulator.fault = undefined;
      expect((await load).failed).toBe(0);
      await eventually('recovery', () => db.stats().credentials.consecutiveFailures === 0, 30_000);
      // And a real rotation afterwards, through the emulator's rotation steps.
      await rotateSecret({
        client: admin,
        secretId: 'prod/logged',
        admin: (sql) => server.admin(sql),
        server: { host: server.host, port: server.port, database: role.username },
        strategy: 'single-user',
      });
      const rotated = JSON.parse(
        (await admin.send(new GetSecretValueCommand({ SecretId: 'prod/logged' }))).SecretString!,
      ) as { password: string };
      await db.refreshCredentials();
      await db.onApplicationShutdown();

      const lines = log.of('nestjs-rotating-pg:outage');
      const warnings = lines.filter((line) => line.level === 'warn');
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      for (const warning of warnings) {
        expect(warning.message).toMatch(
          /^could not fetch credentials from secrets-manager \(.*ServiceUnavailableException.*\); the cached credentials keep serving new logins \(failure \d+ in a row, next try in [\dms.]+\)$/,
        );
      }
      expect(show(lines.filter((line) => line.level === 'log'))).toEqual([
        expect.stringMatching(
          new RegExp(`^log: new credentials from secrets-manager \\(version .+\\) for user ${role.username}$`),
        ),
        expect.stringMatching(
          /^log: secrets-manager answered again after \d+ failed fetch(es)?; credentials are current$/,
        ),
        expect.stringMatching(
          /^log: new credentials from secrets-manager \(version .+\) for user .+; new connections log in with them/,
        ),
      ]);
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
      expectNoSecretIn(log.lines, [role.password, rotated.password, JSON.stringify(secret)]);
    } finally {
      admin.destroy();
      await emulator.stop();
    }
  }, 60_000);

  it('giving up on refused logins is one error line per credentials, not one per checkout', async () => {
    const role = await createTestRole(server, 'refused');
    const wrong = newPassword();
    const db = await DbService.create({
      name: 'refused',
      dsn: role.bareDsn.replace(`${role.username}@`, `${role.username}:${wrong}@`),
      connectionTimeout: '2s',
    });
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseAuthError);
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseAuthError);
    await db.onApplicationShutdown();

    const errors = log.of('nestjs-rotating-pg:refused').filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(new RegExp(`^The database rejected the login for user "${role.username}"`));
    expectNoSecretIn(log.lines, [wrong]);
  }, 30_000);
});
