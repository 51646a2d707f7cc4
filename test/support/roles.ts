import { randomBytes } from 'node:crypto';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';

export interface TestRole {
  username: string;
  password: string;
  /** DSN with the role's password, for static-credential tests. */
  dsn: string;
  /** DSN without a password, for tests whose credentials come from a provider. */
  bareDsn: string;
}

/** A fresh login role with its own database, so tests sharing a server do not see each other. */
export async function createTestRole(server: TestPostgres, prefix = 'app'): Promise<TestRole> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const password = newPassword();
  await server.admin(`CREATE ROLE ${username} LOGIN PASSWORD '${password}'`);
  await server.admin(`CREATE DATABASE ${username} OWNER ${username}`);
  const bareDsn = `postgresql://${username}@${server.host}:${server.port}/${username}`;
  return { username, password, bareDsn, dsn: bareDsn.replace(`${username}@`, `${username}:${password}@`) };
}

export function newPassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

export async function setPassword(server: TestPostgres, username: string, password: string): Promise<void> {
  await server.admin(`ALTER ROLE ${username} PASSWORD '${password}'`);
}

export interface TestDatabase {
  server: TestPostgres;
  role: TestRole;
}

/** One embedded PostgreSQL and one login role for the whole spec file, stopped after it. */
export function useTestDatabase(prefix = 'app'): TestDatabase {
  const context = {} as TestDatabase;
  beforeAll(async () => {
    context.server = await startTestPostgres();
    context.role = await createTestRole(context.server, prefix);
  });
  afterAll(() => context.server?.stop());
  return context;
}
