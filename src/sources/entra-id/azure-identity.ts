import { isMissingPackage } from '../../common/missing-package.js';
import { entraIdMessages } from './messages.js';

const PACKAGE = '@azure/identity';

type AzureIdentityModule = typeof import('@azure/identity');
export type DefaultAzureCredentialClass = AzureIdentityModule['DefaultAzureCredential'];

/** Imports `@azure/identity` through `load`; a missing package becomes an error naming its install command. */
export async function importDefaultAzureCredential(
  load: () => Promise<Pick<AzureIdentityModule, 'DefaultAzureCredential'>>,
): Promise<DefaultAzureCredentialClass> {
  try {
    return (await load()).DefaultAzureCredential;
  } catch (error) {
    if (isMissingPackage(error, PACKAGE)) throw new Error(entraIdMessages.identityMissing(PACKAGE), { cause: error });
    throw error;
  }
}

let loading: Promise<DefaultAzureCredentialClass> | undefined;

/**
 * `@azure/identity` is an optional peer: imported on the first token when no credential was given,
 * so that nobody else needs it installed. A failed load is not cached.
 */
export function loadDefaultAzureCredential(): Promise<DefaultAzureCredentialClass> {
  loading ??= importDefaultAzureCredential(() => import('@azure/identity'));
  loading.catch(() => (loading = undefined));
  return loading;
}
