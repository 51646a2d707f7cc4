import { randomBytes } from 'node:crypto';
import { startTestPostgres, type TestPostgres, VaultEmulator } from '../../../src/testing/index.js';
import { eventually } from '../../support/load.js';
import { vaultDb } from './vault-fixture.js';

let server: TestPostgres;
let vault: VaultEmulator;
const owner = `owner_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  server = await startTestPostgres();
  await server.admin(`CREATE ROLE ${owner} NOLOGIN`);
  await server.admin(`GRANT CREATE ON SCHEMA public TO ${owner}`);
  vault = await new VaultEmulator(server).start();
  // The documented creation_statements: every lease's user may act as the owner.
  vault.addRole('app', { defaultTtlMs: 60_000, maxTtlMs: 120_000, grantStatements: [`GRANT ${owner} TO "{{name}}"`] });
});
afterAll(async () => {
  await vault?.stop();
  await server?.stop();
});

async function tableOwner(table: string): Promise<string | undefined> {
  const { rows } = await server.admin('SELECT tableowner AS owner FROM pg_tables WHERE tablename = $1', [table]);
  return (rows[0] as { owner: string } | undefined)?.owner;
}

describe('Vault dynamic credentials with sessionRole', () => {
  it("a table created under one lease outlives that lease's user and stays the next user's to ALTER", async () => {
    const db = await vaultDb(server, vault, { role: 'app' }, { sessionRole: owner, connectionMaxLifetime: '1s' });
    try {
      await db.query('CREATE TABLE leased_orders (id int)');
      const first = vault.leases[0]!;
      expect(await tableOwner('leased_orders')).toBe(owner);

      // Vault drops the lease's user; the pool's next logins read a new lease.
      await vault.revokeLease(first.leaseId);
      // Sessions of the dropped user live on until their lifetime ends; session_user fails there (invalid role OID).
      await eventually('a session of the next lease', () =>
        db.query<{ login: string }>('SELECT session_user AS login').then(
          ({ rows }) => rows[0]!.login !== first.username,
          () => false,
        ),
      );
      await db.withClient(async (client) => {
        const { rows } = await client.query<{ login: string; current: string }>(
          'SELECT session_user AS login, current_user AS current',
        );
        expect(rows[0]).toEqual({ login: vault.leases.at(-1)!.username, current: owner });
        await client.query('ALTER TABLE leased_orders ADD COLUMN note text');
      });
      expect(await tableOwner('leased_orders')).toBe(owner);
    } finally {
      await db.onApplicationShutdown();
    }
  });
});
