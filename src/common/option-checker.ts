import { messages } from '../errors/messages.js';
import { parseDuration } from './duration.js';

/** Option keys of `Options` whose value is a block of options of its own (`awsIamAuth`, `secretsManager`…). */
type Block<Options> = { [K in keyof Options]-?: NonNullable<Options[K]> extends object ? K : never }[keyof Options] &
  string;

/**
 * A path to an option, spelled as the options type `Options` spells it: a typo in a rule's path is
 * a compile error, not a message naming a key that does not exist. `[]` is the options as a whole.
 * Generic so that each credential source checks the keys it owns without knowing the module's
 * whole options type.
 */
export type OptionPath<Options> =
  | readonly []
  | readonly [keyof Options & string]
  | { [K in Block<Options>]: readonly [K, keyof NonNullable<Options[K]> & string] }[Block<Options>];

/**
 * Spells an option path the way the user wrote it: `connectionMaxLifetime`, or
 * `connections.default.connection_max_lifetime` from YAML.
 */
export type KeyNamer = (path: readonly string[]) => string;

/** Option paths as written in code: `awsIamAuth.region`. */
export const optionKeyNames: KeyNamer = (path) => path.join('.');

export interface Problem {
  path: readonly string[];
  message: string;
}

export type Raw = Record<string, unknown>;

/** Reads one value at a path, applies a default, and records a problem when it breaks a rule. */
export class OptionChecker<Options> {
  constructor(
    private readonly raw: Raw,
    private readonly problems: Problem[],
    readonly keyName: KeyNamer,
  ) {}

  /** The user's spelling of `path`, for messages that point at another key. */
  nameOf(path: OptionPath<Options>): string {
    return this.keyName(path);
  }

  fail(path: OptionPath<Options>, message: string): void {
    this.problems.push({ path, message });
  }

  /** Whether a problem was already recorded at `path` or inside it (the schema's included). */
  reported(path: OptionPath<Options>): boolean {
    return this.problems.some((problem) => path.every((key, index) => problem.path[index] === key));
  }

  valueAt(path: OptionPath<Options>): unknown {
    return valueAtPath(this.raw, path);
  }

  duration(path: OptionPath<Options>, fallback: string | undefined): number | undefined {
    const value = this.valueAt(path) ?? fallback;
    if (value === undefined) return undefined;
    // A malformed value was already reported by the schema; it just has no number here.
    return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  }

  positiveDuration(path: OptionPath<Options>, fallback: string | undefined): number | undefined {
    const ms = this.duration(path, fallback);
    if (ms !== undefined && ms <= 0) {
      this.fail(path, messages.notPositive(this.valueAt(path)));
      return undefined;
    }
    return ms;
  }

  /** A TCP port, 1–65535: pg would take 70000 and never connect. */
  port(path: OptionPath<Options>): number | undefined {
    const value = this.valueAt(path);
    if (typeof value !== 'number') return undefined;
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      this.fail(path, messages.badPort(value));
      return undefined;
    }
    return value;
  }

  integer(path: OptionPath<Options>, fallback: number | undefined, minimum: 0 | 1): number | undefined {
    const value = this.valueAt(path) ?? fallback;
    if (typeof value !== 'number') return undefined;
    if (!Number.isInteger(value) || value < minimum) {
      this.fail(path, minimum === 1 ? messages.notPositiveInteger(value) : messages.notNonNegativeInteger(value));
      return undefined;
    }
    return value;
  }
}

/**
 * What kind of value was given, for "must be a string, not a number": never the value itself, which may be a secret.
 */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value at `path` inside nested option blocks; undefined where a block is missing. */
export function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) value = isRecord(value) ? value[key] : undefined;
  return value;
}

export function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOr<T extends string | undefined>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
