import { randomBytes } from 'node:crypto';
import { quoteIdent, quoteLiteral } from './sql-quote.js';

/** Where a KV v2 secret lives, and a token that may write it. */
export interface VaultKvSecretRef {
  /** Vault's address, e.g. `VaultEmulator.address`. */
  address: string;
  token: string;
  /** Where the KV v2 engine is mounted. Default `'secret'`. */
  mount?: string;
  /** The secret's path under the mount, e.g. `'db/app'`. */
  path: string;
  namespace?: string;
}

/**
 * Writes a new version of a KV v2 secret through Vault's HTTP API (`POST <mount>/data/<path>`), as
 * `vault kv put` does; `cas` makes it conditional on the current version. Answers the new version.
 * The error names the path and Vault's `errors`, never the data.
 */
export async function writeVaultKvSecret(
  secret: VaultKvSecretRef,
  data: Record<string, string>,
  cas?: number,
): Promise<number> {
  const headers: Record<string, string> = { 'X-Vault-Token': secret.token, 'content-type': 'application/json' };
  if (secret.namespace) headers['X-Vault-Namespace'] = secret.namespace;
  const path = `${secret.mount ?? 'secret'}/data/${secret.path}`;
  const response = await fetch(`${secret.address}/v1/${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(cas === undefined ? { data } : { options: { cas }, data }),
  });
  const answer = (await response.json()) as { data?: { version?: number }; errors?: string[] };
  if (!response.ok || typeof answer.data?.version !== 'number')
    throw new Error(`writing Vault KV ${path} failed: HTTP ${response.status}: ${(answer.errors ?? []).join('; ')}`);
  return answer.data.version;
}

export interface RotateVaultKvSecretOptions {
  secret: VaultKvSecretRef;
  /** The database user whose password changes; written to the secret's `username` key. */
  username: string;
  /** Runs `ALTER ROLE` as an administrator. */
  admin(sql: string): Promise<unknown>;
  /**
   * Time between the database's change and the secret's new version. A rotation script does one and
   * then the other: meanwhile the database already wants a password the secret does not hold.
   * Default 0.
   */
  pauseAfterDatabaseMs?: number;
}

/**
 * A KV-backed rotation as a pipeline or script runs it: a new password, `ALTER ROLE … PASSWORD` in
 * PostgreSQL, then a new version of the secret (`{ username, password }`), checked-and-set against
 * the version it started from so two rotations never cross. Answers the new version's number.
 */
export async function rotateVaultKvSecret(options: RotateVaultKvSecretOptions): Promise<number> {
  const { secret, username } = options;
  const started = await currentVersion(secret);
  const password = `kv-${randomBytes(12).toString('hex')}`;
  await options.admin(`ALTER ROLE ${quoteIdent(username)} PASSWORD ${quoteLiteral(password)}`);
  if (options.pauseAfterDatabaseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseAfterDatabaseMs));
  return writeVaultKvSecret(secret, { username, password }, started);
}

async function currentVersion(secret: VaultKvSecretRef): Promise<number> {
  const headers: Record<string, string> = { 'X-Vault-Token': secret.token };
  if (secret.namespace) headers['X-Vault-Namespace'] = secret.namespace;
  const response = await fetch(`${secret.address}/v1/${secret.mount ?? 'secret'}/data/${secret.path}`, { headers });
  if (response.status === 404) return 0;
  const answer = (await response.json()) as { data?: { metadata?: { version?: number } } };
  return answer.data?.metadata?.version ?? 0;
}
