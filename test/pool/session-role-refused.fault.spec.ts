import { DatabaseConnectionError, DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createOwnerRole } from '../support/owner-role.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

describe('sessionRole the login user may not take', () => {
  it('fails each query with an error naming sessionRole and the GRANT, fetches no new credentials, leaves no backend', async () => {
    const user = await createTestRole(server, 'app');
    const member = await createTestRole(server, 'member');
    // The role exists, but was granted to someone else.
    const owner = await createOwnerRole(server, user, [member]);
    const provider = new SwitchableProvider(user.username, user.password);
    const view = await ServerView.open(server, [user.username]);
    const db = await DbService.create({ dsn: user.bareDsn, credentialProvider: provider, sessionRole: owner });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const error = await db.query('SELECT 1').then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error).toBeInstanceOf(DatabaseConnectionError);
        expect(error).toMatchObject({ code: '42501' });
        const { message } = error as Error;
        expect(message).toContain(`permission denied to set role "${owner}"`);
        expect(message).toContain(`Check sessionRole: the login user may not act as role "${owner}"`);
        expect(message).toContain(`GRANT "${owner}" TO "${user.username}"`);
      }
      // Not a refused credential: no refetch, no auth-failure count, no backoff on the source.
      expect(provider.reasons).toEqual(['initial']);
      const stats = db.stats();
      expect(stats.authFailures).toBe(0);
      expect(stats.credentialRefreshes).toBe(provider.calls);
      expect(await view.drained()).toEqual([]);
    } finally {
      await db.onApplicationShutdown();
      await view.close();
    }
  });

  it('names a role that does not exist, and that its name is taken exactly', async () => {
    const user = await createTestRole(server, 'app');
    const db = await DbService.create({ dsn: user.dsn, sessionRole: 'App_Owner' });
    try {
      await expect(db.query('SELECT 1')).rejects.toMatchObject({
        code: '22023',
        message: expect.stringContaining('Check sessionRole: the role "App_Owner" does not exist'),
      });
    } finally {
      await db.onApplicationShutdown();
    }
  });
});
