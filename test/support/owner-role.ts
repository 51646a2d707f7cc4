import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestPostgres } from '../../src/testing/index.js';
import type { TestRole } from './roles.js';

/**
 * A NOLOGIN role to own a database's objects (`sessionRole`), granted to `members`, with CREATE on the `public`
 * schema of `database` (PostgreSQL 15+ lets only the database owner create there). `name` may need quoting.
 */
export async function createOwnerRole(
  server: TestPostgres,
  database: TestRole,
  members: readonly TestRole[],
  name = `owner_${randomBytes(4).toString('hex')}`,
): Promise<string> {
  await server.admin(`CREATE ROLE ${quoteIdent(name)} NOLOGIN`);
  for (const member of members) await server.admin(`GRANT ${quoteIdent(name)} TO ${quoteIdent(member.username)}`);
  // The database's owner owns its public schema (pg_database_owner), so it can hand out CREATE there.
  const client = new pg.Client({ connectionString: database.dsn });
  await client.connect();
  try {
    await client.query(`GRANT CREATE ON SCHEMA public TO ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
  return name;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The owner of `table` in `database`, as the catalogue says. */
export async function tableOwner(database: TestRole, table: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: database.dsn });
  await client.connect();
  try {
    const { rows } = await client.query<{ owner: string }>(
      'SELECT tableowner AS owner FROM pg_tables WHERE tablename = $1',
      [table],
    );
    return rows[0]?.owner;
  } finally {
    await client.end();
  }
}
