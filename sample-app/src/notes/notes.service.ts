import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DbService } from 'nestjs-rotating-pg';

export interface Note {
  id: number;
  text: string;
  createdAt: string;
}

/** A table of notes, read and written only through DbService. */
@Injectable()
export class NotesService implements OnModuleInit {
  constructor(private readonly db: DbService) {}

  async onModuleInit(): Promise<void> {
    await this.db.query(`CREATE TABLE IF NOT EXISTS notes (
      id serial PRIMARY KEY,
      text text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async list(limit: number): Promise<Note[]> {
    const { rows } = await this.db.query<Note>(
      'SELECT id, text, created_at AS "createdAt" FROM notes ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows;
  }

  async create(text: string): Promise<Note> {
    const { rows } = await this.db.query<Note>(
      'INSERT INTO notes (text) VALUES ($1) RETURNING id, text, created_at AS "createdAt"',
      [text],
    );
    return rows[0]!;
  }

  /** Moves text from one note to a new one atomically: shows a transaction. */
  async copy(id: number): Promise<Note | undefined> {
    return this.db.transaction(async (tx) => {
      const found = await tx.query<{ text: string }>('SELECT text FROM notes WHERE id = $1 FOR UPDATE', [id]);
      if (found.rowCount === 0) return undefined;
      const { rows } = await tx.query<Note>(
        'INSERT INTO notes (text) VALUES ($1) RETURNING id, text, created_at AS "createdAt"',
        [`copy of: ${found.rows[0]!.text}`],
      );
      return rows[0];
    });
  }
}
