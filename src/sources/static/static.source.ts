import { z } from 'zod';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { staticMessages } from './messages.js';
import { StaticCredentialProvider } from './static.provider.js';

export interface StaticSourceOptions {
  /** Static password (or one in `dsn`). Prefer a rotating source. */
  password?: string;
}

export interface StaticSource {
  kind: 'static';
  username: string;
  password: string;
}

/** A fixed password: `password`, or one in the dsn. */
export const staticPasswordSource = {
  kind: 'static',
  optionKey: ['password'],
  shape: { password: z.string().optional() },
  chosenBy(raw, facts) {
    if (typeof raw.password === 'string') return ['password'];
    return facts.dsnPassword !== undefined ? ['dsn'] : undefined;
  },
  resolve(raw, facts, check) {
    if (facts.user === undefined) {
      // A refused dsn may well have named the user.
      if (!facts.dsnRefused) check.fail(['user'], sourceMessages.noUser([check.nameOf(['user'])]));
      return undefined;
    }
    return {
      kind: 'static',
      username: facts.user,
      password: typeof raw.password === 'string' ? raw.password : facts.dsnPassword!,
    };
  },
  createProvider: (resolved) => new StaticCredentialProvider(resolved.username, resolved.password),
  describe: (_resolved, credentials) => staticMessages.describeStatic(credentials.username),
  fix: sourceMessages.genericFix,
} satisfies CredentialSource<StaticSource, StaticSourceOptions>;
