import { DbService } from '../../src/index.js';
import type { TestPostgres } from '../../src/testing/index.js';
import { createRotatingDatabase, type RotatingDatabase } from './orm-rotation.js';
import { SwitchableProvider } from './providers.js';
import { newPassword, setPassword } from './roles.js';
import { randomBytes } from 'node:crypto';

/** The worker number of the one row only the writer sees (see `shareNotesWithReader`). */
export const WRITER_ONLY_WORKER = -1;

/**
 * A writer and a "replica" as two named connections: the replica is the same server reached as a
 * second role with SELECT rights only, so `current_user` tells which connection served a query,
 * a write through the reader fails (42501), and a row-level policy hides one row from the reader
 * so an ORM's own read API shows where it was routed. Each connection's password rotates in turn
 * (`rotate()`): a rotation on the writer, then on the reader, and so on.
 */
export interface ReplicatedDatabase extends RotatingDatabase {
  /** The writer's connection (`db`) is the default one; this is the reader's. */
  reader: DbService;
  readerUser: string;
  /** Once the ORM has created `notes`: the reader may read it, all but the writer-only row. */
  shareNotesWithReader(): Promise<void>;
}

/** Short lifetimes, so new logins (and refusals after a rotation) happen all through a run. */
const SHORT_LIVED = { maxOpenConnections: 8, maxIdleConnections: 4, connectionMaxLifetime: '1s' } as const;

export async function createReplicatedDatabase(server: TestPostgres): Promise<ReplicatedDatabase> {
  const writer = await createRotatingDatabase(server, 'password');
  const readerUser = `reader_${randomBytes(4).toString('hex')}`;
  let readerPassword = newPassword();
  await server.admin(`CREATE ROLE ${readerUser} LOGIN PASSWORD '${readerPassword}'`);
  const readerProvider = new SwitchableProvider(readerUser, readerPassword);
  const reader = await DbService.create({
    name: 'reader',
    // The writer's database, as a replica holds the primary's.
    dsn: writer.owner.bareDsn.replace(`${writer.owner.username}@`, `${readerUser}@`),
    credentialProvider: readerProvider,
    ...SHORT_LIVED,
  });
  let turn = 0;
  const replicated: ReplicatedDatabase = {
    ...writer,
    reader,
    readerUser,
    rotations: 0,
    async rotate() {
      if (turn++ % 2 === 0) {
        await writer.rotate();
      } else {
        readerPassword = newPassword();
        await setPassword(server, readerUser, readerPassword);
        readerProvider.publish({ username: readerUser, password: readerPassword }, `v${turn}`);
      }
      replicated.rotations++;
    },
    async shareNotesWithReader() {
      // As the table's owner: it bypasses its own row-level security, the reader does not.
      await writer.db.query(`GRANT SELECT ON notes TO ${readerUser}`);
      await writer.db.query('ALTER TABLE notes ENABLE ROW LEVEL SECURITY');
      await writer.db.query(
        `CREATE POLICY reader_reads ON notes FOR SELECT TO ${readerUser} USING (worker <> ${WRITER_ONLY_WORKER})`,
      );
      await writer.db.query('INSERT INTO notes (worker, body) VALUES ($1, $2)', [WRITER_ONLY_WORKER, 'writer only']);
    },
  };
  return replicated;
}

/** Ends both connections (the ORM's own shutdown comes first). */
export async function closeReplicatedDatabase(database: ReplicatedDatabase): Promise<void> {
  await database.reader.onApplicationShutdown();
  await database.db.onApplicationShutdown();
}

/** Both connections recovered from refused logins after their rotations: each rotation was felt. */
export function expectBothRecovered(database: ReplicatedDatabase): void {
  expect(database.db.stats().authRecoveries).toBeGreaterThan(0);
  expect(database.reader.stats().authRecoveries).toBeGreaterThan(0);
}
