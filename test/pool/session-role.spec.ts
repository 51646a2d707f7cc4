import { randomBytes } from 'node:crypto';
import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { eventually } from '../support/load.js';
import { createOwnerRole, tableOwner } from '../support/owner-role.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword, type TestRole } from '../support/roles.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

interface Rotation {
  db: DbService;
  user: TestRole;
  clone: TestRole;
  owner: string;
  /** Publishes the clone's new password and makes the pool pick it up, as the alternating-users strategy does. */
  rotateToClone(): Promise<void>;
}

/** Alternating users (`user` ↔ `user_clone`), both members of one owner role, on the user's database. */
async function alternatingUsers(sessionRole: boolean): Promise<Rotation> {
  const user = await createTestRole(server, 'app');
  const clone = await createTestRole(server, 'app_clone');
  const owner = await createOwnerRole(server, user, [user, clone]);
  const provider = new SwitchableProvider(user.username, user.password);
  const db = await DbService.create({
    dsn: user.bareDsn,
    credentialProvider: provider,
    maxOpenConnections: 4,
    ...(sessionRole && { sessionRole: owner }),
  });
  const rotateToClone = async () => {
    const password = newPassword();
    await setPassword(server, clone.username, password);
    provider.publish({ username: clone.username, password }, 'v1');
    await db.refreshCredentials();
  };
  return { db, user, clone, owner, rotateToClone };
}

/** Runs `sql` on a connection of the clone's, once the old user's connections are gone from the pool. */
async function asClone(rotation: Rotation, sql: string): Promise<void> {
  await eventually('the pool to log in as the clone', async () => {
    const { rows } = await rotation.db.query<{ login: string }>('SELECT session_user AS login');
    return rows[0]!.login === rotation.clone.username;
  });
  await rotation.db.withClient(async (client) => {
    const { rows } = await client.query<{ login: string }>('SELECT session_user AS login');
    expect(rows[0]!.login).toBe(rotation.clone.username);
    await client.query(sql);
  });
}

describe('sessionRole: objects belong to a role that outlives the login users', () => {
  it('a table created before a username rotation is owned by the role and stays ALTER-able and DROP-able after it', async () => {
    const rotation = await alternatingUsers(true);
    try {
      await rotation.db.query('CREATE TABLE orders (id int)');
      expect(await tableOwner(rotation.user, 'orders')).toBe(rotation.owner);

      await rotation.rotateToClone();
      await asClone(rotation, 'ALTER TABLE orders ADD COLUMN note text');
      await asClone(rotation, 'DROP TABLE orders');
      expect(await tableOwner(rotation.user, 'orders')).toBeUndefined();
    } finally {
      await rotation.db.onApplicationShutdown();
    }
  });

  it('without it, the table belongs to the login user and the next user may not ALTER it (the problem it solves)', async () => {
    const rotation = await alternatingUsers(false);
    try {
      await rotation.db.query('CREATE TABLE orders (id int)');
      expect(await tableOwner(rotation.user, 'orders')).toBe(rotation.user.username);

      await rotation.rotateToClone();
      await expect(asClone(rotation, 'ALTER TABLE orders ADD COLUMN note text')).rejects.toMatchObject({
        code: '42501',
        message: 'must be owner of table orders',
      });
    } finally {
      await rotation.db.onApplicationShutdown();
    }
  });

  it('RESET ROLE and DISCARD ALL return to the role, not to the login user; RESET ALL leaves it', async () => {
    const user = await createTestRole(server, 'app');
    // A space and a backslash: PostgreSQL splits `options` at spaces unless escaped.
    const owner = await createOwnerRole(server, user, [user], `Owner ${randomBytes(2).toString('hex')} a\\b`);
    const db = await DbService.create({ dsn: user.dsn, sessionRole: owner, options: '-c search_path=app,public' });
    try {
      await db.withClient(async (client) => {
        const who = async () =>
          (
            await client.query<{ current: string; login: string }>(
              'SELECT current_user AS current, session_user AS login',
            )
          ).rows[0];
        expect(await who()).toEqual({ current: owner, login: user.username });
        for (const reset of ['RESET ROLE', 'DISCARD ALL']) {
          await client.query(`SET ROLE ${user.username}`);
          await client.query(reset);
          expect({ reset, ...(await who()) }).toEqual({ reset, current: owner, login: user.username });
        }
        // role is not among the settings RESET ALL resets (PostgreSQL's GUC_NO_RESET_ALL): it stays as it is.
        await client.query('RESET ALL');
        expect(await who()).toEqual({ current: owner, login: user.username });
        // The options given beside it still apply.
        expect((await client.query('SHOW search_path')).rows[0]).toEqual({ search_path: 'app,public' });
      });
    } finally {
      await db.onApplicationShutdown();
    }
  });
});
