import pg from 'pg';
import type { TestPostgres } from '../../src/testing/index.js';

/** The tables of `schema` in `database`, read as the superuser: what a migration tool left behind. */
export async function tablesIn(server: TestPostgres, database: string, schema = 'public'): Promise<string[]> {
  const { host, port, user, password } = server;
  const admin = new pg.Client({ host, port, user, password, database });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ table: string }>(
      'SELECT tablename AS table FROM pg_tables WHERE schemaname = $1 ORDER BY 1',
      [schema],
    );
    return rows.map((row) => row.table);
  } finally {
    await admin.end();
  }
}
