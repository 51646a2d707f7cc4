import type { z } from 'zod';
import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import type { OptionChecker, OptionPath, Raw } from '../option-checker.js';

/** What a source may know of the connection besides its own options. */
export interface ConnectionFacts {
  host: string;
  port: number;
  /** TLS settings as pg gets them (from `ssl` or the dsn's `sslmode`). */
  ssl: unknown;
  /** `user`, or the dsn's user. */
  user?: string;
  /** A password in the dsn. */
  dsnPassword?: string;
  /** The dsn was refused, so whatever user, password or sslmode it held is unknown. */
  dsnRefused: boolean;
}

/**
 * One way to obtain credentials, in one module: the option keys it owns (their schema), when the
 * options choose it, how it validates and resolves them, how its provider is built, and how the
 * `doctor` command describes it. `sources/index.ts` lists them; everything else iterates the list.
 */
export interface CredentialSource<Resolved extends { kind: string }> {
  readonly kind: Resolved['kind'];
  /** The key that chooses it, named in "set exactly one of" messages. */
  readonly optionKey: OptionPath;
  /** Its option keys and their schema; they join the options schema. */
  readonly shape: z.ZodRawShape;
  /** The key that chose it in these options, or undefined when they do not choose it. */
  chosenBy(raw: Raw, facts: ConnectionFacts): OptionPath | undefined;
  /** Validates its options and fills in defaults; problems go to `check`. */
  resolve(raw: Raw, facts: ConnectionFacts, check: OptionChecker): Resolved | undefined;
  createProvider(resolved: Resolved): CredentialProvider;
  /** For `doctor`: how the credentials were obtained. Never the secret. */
  describe(resolved: Resolved, credentials: Credentials): string;
  /** For `doctor`: what to check when obtaining credentials failed. */
  readonly fix: string;
}
