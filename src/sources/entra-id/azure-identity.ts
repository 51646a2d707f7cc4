import { importOptionalPeer, loadOnFirstUse } from '../../common/optional-peer.js';
import { entraIdMessages } from './messages.js';

const PACKAGE = '@azure/identity';

type AzureIdentityModule = typeof import('@azure/identity');
export type DefaultAzureCredentialClass = AzureIdentityModule['DefaultAzureCredential'];

/** Imports `@azure/identity` through `load`; a missing package becomes an error naming its install command. */
export async function importDefaultAzureCredential(
  load: () => Promise<Pick<AzureIdentityModule, 'DefaultAzureCredential'>>,
): Promise<DefaultAzureCredentialClass> {
  return (
    await importOptionalPeer(PACKAGE, load, (cause) => new Error(entraIdMessages.identityMissing(PACKAGE), { cause }))
  ).DefaultAzureCredential;
}

/** `@azure/identity` is an optional peer: imported on the first token when no credential was given. */
export const loadDefaultAzureCredential = loadOnFirstUse(() =>
  importDefaultAzureCredential(() => import('@azure/identity')),
);
