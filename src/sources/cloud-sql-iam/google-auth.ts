import { importOptionalPeer, loadOnFirstUse } from '../../common/optional-peer.js';
import { cloudSqlIamMessages } from './messages.js';

const PACKAGE = 'google-auth-library';

type GoogleAuthModule = typeof import('google-auth-library');
export type GoogleAuthClass = GoogleAuthModule['GoogleAuth'];

/** Imports `google-auth-library` through `load`; a missing package becomes an error naming its install command. */
export async function importGoogleAuth(
  load: () => Promise<Pick<GoogleAuthModule, 'GoogleAuth'>>,
): Promise<GoogleAuthClass> {
  return (
    await importOptionalPeer(PACKAGE, load, (cause) => new Error(cloudSqlIamMessages.authMissing(PACKAGE), { cause }))
  ).GoogleAuth;
}

/** `google-auth-library` is an optional peer: imported on the first token when no client was given. */
export const loadGoogleAuth = loadOnFirstUse(() => importGoogleAuth(() => import('google-auth-library')));
