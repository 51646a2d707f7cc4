import { isMissingPackage } from '../../common/missing-package.js';
import { dsqlMessages } from './messages.js';

const PACKAGE = '@aws-sdk/dsql-signer';

type DsqlSignerModule = typeof import('@aws-sdk/dsql-signer');
export type DsqlSignerClass = DsqlSignerModule['DsqlSigner'];

/** Imports the signer through `load`; a missing package becomes an error naming its install command. */
export async function importDsqlSigner(
  load: () => Promise<Pick<DsqlSignerModule, 'DsqlSigner'>>,
): Promise<DsqlSignerClass> {
  try {
    return (await load()).DsqlSigner;
  } catch (error) {
    if (isMissingPackage(error, PACKAGE)) throw new Error(dsqlMessages.signerMissing(PACKAGE), { cause: error });
    throw error;
  }
}

let loading: Promise<DsqlSignerClass> | undefined;

/**
 * `@aws-sdk/dsql-signer` is an optional peer: imported on the first DSQL token, so that nobody
 * else needs it installed. A failed load is not cached: installing the package and trying again
 * works in the same process.
 */
export function loadDsqlSigner(): Promise<DsqlSignerClass> {
  loading ??= importDsqlSigner(() => import('@aws-sdk/dsql-signer'));
  loading.catch(() => (loading = undefined));
  return loading;
}
