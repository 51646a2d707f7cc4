import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { messages } from '../../errors/messages.js';
import type { OptionChecker, OptionPath, Raw } from '../option-checker.js';
import type { ConnectionFacts, CredentialSource } from './credential-source.js';
import { type CustomSourceOptions, customProviderSource } from './custom.source.js';
import { type RdsIamSourceOptions, rdsIamSource } from './rds-iam.source.js';
import { type SecretsManagerSourceOptions, secretsManagerSource } from './secrets-manager.source.js';
import { type StaticSourceOptions, staticPasswordSource } from './static.source.js';

/**
 * Every credential source. A new source (Vault, IAM through RDS Proxy…) is a module beside these
 * (its documented options, schema, rules, provider and doctor text: see credential-source.ts)
 * and its entry in the two lists below; nothing else changes.
 */
export const credentialSources = [staticPasswordSource, rdsIamSource, secretsManagerSource, customProviderSource] as const;
/** The options the sources add to `DatabaseModuleOptions`, with their JSDoc. */
export type CredentialSourceOptions = StaticSourceOptions & RdsIamSourceOptions & SecretsManagerSourceOptions & CustomSourceOptions;

type Source = (typeof credentialSources)[number];
export type ResolvedCredentialSource = NonNullable<ReturnType<Source['resolve']>>;
export type { ConnectionFacts } from './credential-source.js';
export type { AwsIamAuthOptions } from './rds-iam.source.js';
export type { SecretsManagerOptions } from './secrets-manager.source.js';

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (intersection: infer I) => void ? I : never;

/** The option keys the sources own, with their schema, for the options schema. */
export const credentialSourceShape = Object.assign({}, ...credentialSources.map((source) => source.shape)) as UnionToIntersection<Source['shape']>;

/** Exactly one source must be chosen in `raw` (the well-typed options); its options are then validated and resolved. */
export function resolveCredentialSource(raw: Raw, facts: ConnectionFacts, check: OptionChecker): ResolvedCredentialSource | undefined {
  const chosen = credentialSources.flatMap((source) => {
    const key = source.chosenBy(raw, facts);
    return key ? [{ source, key }] : [];
  });
  if (chosen.length === 0) {
    // A source given but reported as wrong already (or a refused dsn, which may hold a password): "no source" would mislead.
    const reported = credentialSources.some((source) => check.reported(source.optionKey));
    if (!reported && !facts.dsnRefused) check.fail([], messages.noCredentialSource(credentialSources.map((source) => check.nameOf(source.optionKey))));
    return undefined;
  }
  if (chosen.length > 1) {
    check.fail([], messages.manyCredentialSources(chosen.map(({ key }) => check.nameOf(key as OptionPath))));
    return undefined;
  }
  return chosen[0]!.source.resolve(raw, facts, check);
}

function sourceOf(resolved: ResolvedCredentialSource): CredentialSource<ResolvedCredentialSource> {
  return credentialSources.find((source) => source.kind === resolved.kind) as unknown as CredentialSource<ResolvedCredentialSource>;
}

export function createCredentialProvider(resolved: ResolvedCredentialSource): CredentialProvider {
  return sourceOf(resolved).createProvider(resolved);
}

/** For `doctor`: how the credentials were obtained, and what to check when that failed. */
export function describeCredentials(resolved: ResolvedCredentialSource, credentials: Credentials): string {
  return sourceOf(resolved).describe(resolved, credentials);
}

export function credentialSourceFix(resolved: ResolvedCredentialSource): string {
  return sourceOf(resolved).fix;
}
