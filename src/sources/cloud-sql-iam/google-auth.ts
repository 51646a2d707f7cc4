import { isMissingPackage } from '../../common/missing-package.js';
import { cloudSqlIamMessages } from './messages.js';

const PACKAGE = 'google-auth-library';

type GoogleAuthModule = typeof import('google-auth-library');
export type GoogleAuthClass = GoogleAuthModule['GoogleAuth'];

/** Imports `google-auth-library` through `load`; a missing package becomes an error naming its install command. */
export async function importGoogleAuth(
  load: () => Promise<Pick<GoogleAuthModule, 'GoogleAuth'>>,
): Promise<GoogleAuthClass> {
  try {
    return (await load()).GoogleAuth;
  } catch (error) {
    if (isMissingPackage(error, PACKAGE)) throw new Error(cloudSqlIamMessages.authMissing(PACKAGE), { cause: error });
    throw error;
  }
}

let loading: Promise<GoogleAuthClass> | undefined;

/**
 * `google-auth-library` is an optional peer: imported on the first token when no client was given,
 * so that nobody else needs it installed. A failed load is not cached.
 */
export function loadGoogleAuth(): Promise<GoogleAuthClass> {
  loading ??= importGoogleAuth(() => import('google-auth-library'));
  loading.catch(() => (loading = undefined));
  return loading;
}
