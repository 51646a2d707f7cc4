import type { OptionChecker, Raw } from '../common/option-checker.js';
import type { CredentialProvider, Credentials } from '../credentials/credential-provider.interface.js';
import type { ConnectionFacts, ConnectionKeys, CredentialSource } from './credential-source.js';
import { type CloudSqlIamSourceOptions, cloudSqlIamSource } from './cloud-sql-iam/cloud-sql-iam.source.js';
import { type CustomSourceOptions, customProviderSource } from './custom/custom.source.js';
import { type DsqlSourceOptions, dsqlSource } from './dsql/dsql.source.js';
import { type EntraIdSourceOptions, entraIdSource } from './entra-id/entra-id.source.js';
import { sourceMessages } from './messages.js';
import { type RdsIamSourceOptions, rdsIamSource } from './rds-iam/rds-iam.source.js';
import { type SecretsManagerSourceOptions, secretsManagerSource } from './secrets-manager/secrets-manager.source.js';
import { type StaticSourceOptions, staticPasswordSource } from './static/static.source.js';
import { type VaultSourceOptions, vaultSource } from './vault/vault.source.js';

/**
 * Every credential source, one line each in the two lists below. A new source (Vault, Entra ID…)
 * adds its folder beside these, `sources/<name>/` holding its documented options type, schema,
 * rules, provider, doctor text and messages (the contract is credential-source.ts), and its entry
 * in each list. Nothing else changes: not the pool, not the module, not another source.
 */
export const credentialSources = [
  staticPasswordSource,
  rdsIamSource,
  dsqlSource,
  entraIdSource,
  cloudSqlIamSource,
  secretsManagerSource,
  vaultSource,
  customProviderSource,
] as const;
/** The options the sources add to `DatabaseModuleOptions`, with their JSDoc. */
export type CredentialSourceOptions = StaticSourceOptions &
  RdsIamSourceOptions &
  DsqlSourceOptions &
  EntraIdSourceOptions &
  CloudSqlIamSourceOptions &
  SecretsManagerSourceOptions &
  VaultSourceOptions &
  CustomSourceOptions;

type Source = (typeof credentialSources)[number];
export type ResolvedCredentialSource = NonNullable<ReturnType<Source['resolve']>>;

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (intersection: infer I) => void
  ? I
  : never;

/** The option keys the sources own, with their schema, for the options schema. */
export const credentialSourceShape = Object.assign(
  {},
  ...credentialSources.map((source) => source.shape),
) as UnionToIntersection<Source['shape']>;

/** Exactly one source must be chosen in `raw` (the well-typed options); its options are then validated and resolved. */
export function resolveCredentialSource(
  raw: Raw,
  facts: ConnectionFacts,
  check: OptionChecker<CredentialSourceOptions & ConnectionKeys>,
): ResolvedCredentialSource | undefined {
  const chosen = credentialSources.flatMap((source) => {
    const key = source.chosenBy(raw, facts);
    return key ? [{ source, key }] : [];
  });
  if (chosen.length === 0) {
    // A source given but reported as wrong already (or a refused dsn, which may hold a password): "no source" would
    // mislead.
    const reported = credentialSources.some((source) => check.reported(source.optionKey));
    if (!reported && !facts.dsnRefused)
      check.fail(
        [],
        sourceMessages.noCredentialSource(credentialSources.map((source) => check.nameOf(source.optionKey))),
      );
    return undefined;
  }
  if (chosen.length > 1) {
    check.fail([], sourceMessages.manyCredentialSources(chosen.map(({ key }) => check.nameOf(key))));
    return undefined;
  }
  return chosen[0]!.source.resolve(raw, facts, check);
}

function sourceOf(
  resolved: ResolvedCredentialSource,
): CredentialSource<ResolvedCredentialSource, CredentialSourceOptions> {
  return credentialSources.find((source) => source.kind === resolved.kind) as unknown as CredentialSource<
    ResolvedCredentialSource,
    CredentialSourceOptions
  >;
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

/** The source refuses plaintext itself unless its options asked for it, so no plaintext warning is due. */
export function credentialSourceRefusesPlaintext(resolved: ResolvedCredentialSource): boolean {
  return sourceOf(resolved).refusesPlaintext === true;
}
