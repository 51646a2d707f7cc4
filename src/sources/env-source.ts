/**
 * Reads the environment for one source. Problems are collected, not thrown, so that one error can name every missing
 * or wrong variable; the caller (config/env-options.ts) words them.
 */
export interface EnvReader {
  /** The variable's value; when unset or empty, a problem naming it (and the `''` returned is never used). */
  required(name: string): string;
  /** The variable's value, or undefined when unset or empty. */
  optional(name: string): string | undefined;
  /** `true` or `false`; anything else is a problem naming it. Undefined when unset or empty. */
  flag(name: string): boolean | undefined;
  /** Exactly one of the variables: its name and value; none or several is a problem naming them all. */
  oneOf<Name extends string>(names: readonly Name[]): { name: Name; value: string } | undefined;
  /** These variables choose different things and were set together: a problem naming them. */
  conflict(names: readonly string[]): void;
}

/**
 * How one credential source is chosen and configured from environment variables (`DB_AUTH=<dbAuth>`, the dsn from
 * `DATABASE_URL`), for the sample app and the CLI. Lives in the source's folder; env-registry.ts lists them.
 */
export interface EnvSource<Options> {
  /** The `DB_AUTH` value that chooses it. */
  readonly dbAuth: string;
  /** Its options, read from the environment; the module's own validation runs on them afterwards. */
  options(env: EnvReader): Options;
}
