import type { z } from 'zod';
import type { OptionChecker, OptionPath, Raw } from '../common/option-checker.js';
import type { CredentialProvider, Credentials } from '../credentials/credential-provider.interface.js';

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

/** The connection's own keys a source may name in its messages (`no database user: set user…`). */
export interface ConnectionKeys {
  dsn?: string;
  user?: string;
}

/** A path to one of a source's own keys, or to a connection key. */
export type SourceOptionPath<Options> = OptionPath<Options & ConnectionKeys>;

/**
 * One way to obtain credentials, in one folder: the option keys it owns (`Options`, documented,
 * and their schema), when the options choose it, how it validates and resolves them, how its
 * provider is built, and how the `doctor` command describes it. `registry.ts` lists them;
 * everything else iterates the list. Imports nothing of config: config builds on the sources.
 */
export interface CredentialSource<Resolved extends { kind: string }, Options> {
  readonly kind: Resolved['kind'];
  /** The key that chooses it, named in "set exactly one of" messages. */
  readonly optionKey: SourceOptionPath<Options>;
  /** Its option keys and their schema; they join the options schema. */
  readonly shape: z.ZodRawShape;
  /** The key that chose it in these options, or undefined when they do not choose it. */
  chosenBy(raw: Raw, facts: ConnectionFacts): SourceOptionPath<Options> | undefined;
  /** Validates its options and fills in defaults; problems go to `check`. */
  resolve(raw: Raw, facts: ConnectionFacts, check: OptionChecker<Options & ConnectionKeys>): Resolved | undefined;
  createProvider(resolved: Resolved): CredentialProvider;
  /** For `doctor`: how the credentials were obtained. Never the secret. */
  describe(resolved: Resolved, credentials: Credentials): string;
  /** For `doctor`: what to check when obtaining credentials failed. */
  readonly fix: string;
  /**
   * The service accepts these logins over TLS only, so `resolve` refuses a plaintext connection
   * unless the source's own testing opt-out asked for it; the module's plaintext warning is then
   * not repeated. Default `false`.
   */
  readonly refusesPlaintext?: boolean;
}
