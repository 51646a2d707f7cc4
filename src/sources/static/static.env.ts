import type { EnvSource } from '../env-source.js';
import type { StaticSourceOptions } from './static.source.js';

/** `DB_AUTH=password` (the default): the password in `DATABASE_URL`, nothing more to read. */
export const staticPasswordEnv = {
  dbAuth: 'password',
  options: () => ({}),
} satisfies EnvSource<StaticSourceOptions>;
