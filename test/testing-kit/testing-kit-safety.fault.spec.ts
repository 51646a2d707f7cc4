import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';

/**
 * Issue 20: the testing kit sets up and drops roles and databases in the server it is given, so it
 * never takes the application's DATABASE_URL; and the superuser password of a server any local
 * user can reach is not guessable.
 */
describe('the testing kit', () => {
  let server: TestPostgres | undefined;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL };

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(() => server?.stop());

  it("ignores the application's DATABASE_URL and starts a server of its own, with a password from crypto", async () => {
    delete process.env.TEST_DATABASE_URL;
    process.env.DATABASE_URL = 'postgresql://app:prod-password@prod-db.example.invalid:5432/app';
    server = await startTestPostgres();
    expect(server.host).toBe('127.0.0.1');
    expect((await server.admin('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    // 18 random bytes in base64url: 144 bits (Math.random's base-36 tail had at most about 52).
    expect(server.password).toMatch(/^test-[A-Za-z0-9_-]{24}$/);
  }, 60_000);

  it('takes TEST_DATABASE_URL when it is set', async () => {
    process.env.TEST_DATABASE_URL = server!.url;
    process.env.DATABASE_URL = 'postgresql://app:prod-password@prod-db.example.invalid:5432/app';
    const existing = await startTestPostgres();
    expect(existing).toMatchObject({ host: '127.0.0.1', port: server!.port });
    expect((await existing.admin('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
