import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DatabaseModuleOptions } from 'nestjs-rotating-pg';
import { rotateSecret, SecretsManagerEmulator, startTestPostgres, type TestPostgres } from 'nestjs-rotating-pg/testing';

export interface DemoEnvironment {
  /** Options for DatabaseModule: the app reads its password from the local Secrets Manager. */
  database: DatabaseModuleOptions;
  /** Runs one rotation (the four steps of a rotation Lambda) now. */
  rotate(): Promise<string>;
  /** Rotates every `everyMs`, calling `onRotated` with a line to print. */
  rotateEvery(everyMs: number, onRotated: (line: string) => void): void;
  /** The database server, e.g. to stop it and watch /health go down. */
  postgres: TestPostgres;
  /** The local Secrets Manager, e.g. to inject an outage. */
  secretsManager: SecretsManagerEmulator;
  /** The credentials AWSCURRENT holds now (for tests that check they never leak). */
  currentSecret(): Promise<{ username: string; password: string }>;
  stop(): Promise<void>;
}

const SECRET_ID = 'demo/notes-app';

/**
 * Everything a newcomer needs, on this machine: an embedded PostgreSQL, a Secrets Manager
 * emulator holding the app's credentials, and a rotation that changes the password for real.
 */
export async function startDemoEnvironment(
  options: { lifetime?: string; refreshInterval?: string } = {},
): Promise<DemoEnvironment> {
  // The emulator ignores signatures, but the SDK insists on having credentials to sign with.
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDDEMO000000000000';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'demo-secret-not-used';
  const postgres = await startTestPostgres({ alwaysEmbedded: true });
  const emulator = await new SecretsManagerEmulator().start();
  const password = `demo-${Math.random().toString(36).slice(2)}`;
  await postgres.admin(`CREATE ROLE notes_app LOGIN PASSWORD '${password}'`);
  await postgres.admin('CREATE DATABASE notes OWNER notes_app');
  emulator.createSecret(SECRET_ID, {
    engine: 'postgres',
    username: 'notes_app',
    password,
    host: postgres.host,
    port: postgres.port,
    dbname: 'notes',
  });
  const admin = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint });
  let timer: NodeJS.Timeout | undefined;
  let rotations = 0;

  const rotate = async (): Promise<string> => {
    const { versionId } = await rotateSecret({
      client: admin,
      secretId: SECRET_ID,
      admin: (sql) => postgres.admin(sql),
      server: { host: postgres.host, port: postgres.port, database: 'notes' },
      strategy: 'single-user',
      pauseAfterSetMs: 2_000,
    });
    rotations++;
    return `rotation ${rotations}: database password of notes_app changed, AWSCURRENT is now version ${versionId.slice(0, 8)}`;
  };

  return {
    postgres,
    secretsManager: emulator,
    database: {
      host: postgres.host,
      port: postgres.port,
      database: 'notes',
      secretsManager: {
        secretId: SECRET_ID,
        region: 'us-east-1',
        endpoint: emulator.endpoint,
        refreshInterval: options.refreshInterval ?? '15s',
      },
      connectionMaxLifetime: options.lifetime ?? '20s',
    },
    rotate,
    async currentSecret() {
      const { SecretString } = await admin.send(new GetSecretValueCommand({ SecretId: SECRET_ID }));
      return JSON.parse(SecretString ?? '{}') as { username: string; password: string };
    },
    rotateEvery(everyMs, onRotated) {
      const tick = () => {
        timer = setTimeout(() => {
          rotate()
            .then(onRotated, (error: Error) => onRotated(`rotation failed: ${error.message}`))
            .finally(tick);
        }, everyMs);
      };
      tick();
    },
    async stop() {
      clearTimeout(timer);
      admin.destroy();
      await emulator.stop();
      await postgres.stop();
    },
  };
}
