import { randomBytes } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { quoteIdent, quoteLiteral } from './sql-quote.js';

export interface RotateSecretOptions {
  /** A client pointed at the emulator (or a real Secrets Manager, for a staging drill). */
  client: SecretsManagerClient;
  secretId: string;
  /** Runs `ALTER ROLE` as an administrator. */
  admin(sql: string): Promise<unknown>;
  /** Where testSecret logs in: host, port, database of the server. */
  server: { host: string; port: number; database: string };
  /** 'single-user' changes the password; 'alternating-users' switches `user` ↔ `user_clone`. */
  strategy: 'single-user' | 'alternating-users';
  /** Time between setSecret (database changed) and finishSecret (AWSCURRENT moves). Default 0. */
  pauseAfterSetMs?: number;
  /** Called between the steps, e.g. to log them. */
  onStep?: (step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret') => void;
}

/**
 * The four steps of a Secrets Manager rotation Lambda, as AWS's RDS rotation templates run
 * them: createSecret (new AWSPENDING version), setSecret (ALTER ROLE in the database),
 * testSecret (log in with it), finishSecret (move AWSCURRENT). Between setSecret and
 * finishSecret the database already wants the pending credentials while AWSCURRENT still
 * holds the old ones: `pauseAfterSetMs` stretches that window.
 */
export async function rotateSecret(options: RotateSecretOptions): Promise<{ username: string; versionId: string }> {
  const { client, secretId } = options;
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  const secret = JSON.parse(current.SecretString ?? '{}') as Record<string, unknown> & { username: string };
  const username = options.strategy === 'alternating-users' ? twinOf(secret.username) : secret.username;
  const pending = { ...secret, username, password: `rot-${randomBytes(12).toString('hex')}` };

  options.onStep?.('createSecret');
  const versionId = randomBytes(16).toString('hex');
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: versionId,
      SecretString: JSON.stringify(pending),
      VersionStages: ['AWSPENDING'],
    }),
  );

  options.onStep?.('setSecret');
  await options.admin(`ALTER ROLE ${quoteIdent(username)} PASSWORD ${quoteLiteral(pending.password)}`);

  options.onStep?.('testSecret');
  const probe = new pg.Client({ ...options.server, user: username, password: pending.password });
  await probe.connect();
  await probe.query('SELECT 1');
  await probe.end();

  if (options.pauseAfterSetMs) await new Promise((resolve) => setTimeout(resolve, options.pauseAfterSetMs));

  options.onStep?.('finishSecret');
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: versionId,
      RemoveFromVersionId: current.VersionId,
    }),
  );
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: versionId,
    }),
  );
  return { username, versionId };
}

/** AWS's alternating-users template appends `_clone` to the user, and strips it on the way back. */
export function twinOf(username: string): string {
  return username.endsWith('_clone') ? username.slice(0, -'_clone'.length) : `${username}_clone`;
}
