import { DbService, type DatabaseModuleOptions, type VaultOptions } from '../../../src/index.js';
import type { TestPostgres, VaultEmulator, VaultKvSecretRef } from '../../../src/testing/index.js';
import type { ServerView } from '../../support/server-view.js';

/** Vault-created users get this grant, as a role's creation statements would give them. */
export const GRANT = 'GRANT pg_read_all_data TO "{{name}}"';

/** A DbService whose credentials come from `emulator`'s role `role`, logging in to the server's postgres database. */
export function vaultDb(
  server: TestPostgres,
  emulator: VaultEmulator,
  vault: Partial<VaultOptions>,
  options: Partial<DatabaseModuleOptions> = {},
): Promise<DbService> {
  return DbService.create({
    name: 'vault',
    dsn: `postgresql://${server.host}:${server.port}/postgres`,
    vault: { address: emulator.address, token: emulator.rootToken, ...vault },
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    ...options,
  });
}

/** A client backend whose login role no longer exists (Vault dropped it) or whose lease has ended. */
export interface LateSession {
  pid: number;
  usename: string | null;
  why: 'role dropped' | 'lease ended';
}

/**
 * The sessions alive past their Vault lease's end, as the server shows them: a revoked or expired
 * lease's role is dropped (its sessions' usename then reads null, the role's oid matching nothing),
 * and a revoked lease's user must have no session either.
 */
export async function sessionsPastLeaseEnd(view: ServerView, emulator: VaultEmulator): Promise<LateSession[]> {
  const { rows } = await view.admin(
    `SELECT pid, usename, EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = a.usesysid) AS role_exists
       FROM pg_stat_activity a
      WHERE backend_type = 'client backend' AND usesysid IS NOT NULL AND pid <> pg_backend_pid()`,
  );
  // Ended as Vault ends them: revoked (by request, at expiry on Vault's own timer, or with its token). A session that
  // closes between the lease's end and Vault's revocation harms nothing, and timers run late on a loaded machine.
  const ended = new Set(emulator.leases.filter((lease) => lease.revokedAt !== undefined).map((l) => l.username));
  const late: LateSession[] = [];
  for (const row of rows as { pid: number; usename: string | null; role_exists: boolean }[]) {
    if (!row.role_exists) late.push({ pid: row.pid, usename: row.usename, why: 'role dropped' });
    else if (row.usename !== null && ended.has(row.usename))
      late.push({ pid: row.pid, usename: row.usename, why: 'lease ended' });
  }
  return late;
}

/** The roles Vault created that still exist. */
export async function vaultRolesLeft(server: TestPostgres): Promise<string[]> {
  const { rows } = await server.admin(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY rolname`);
  return rows.map((row: { rolname: string }) => row.rolname);
}

/** The KV v2 secret the KV tests read: `secret/db/app` on `emulator`, written with its root token. */
export function kvSecret(emulator: VaultEmulator, path = 'db/app', mount = 'secret'): VaultKvSecretRef {
  return { address: emulator.address, token: emulator.rootToken, mount, path };
}
