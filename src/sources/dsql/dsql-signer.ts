import { importOptionalPeer, loadOnFirstUse } from '../../common/optional-peer.js';
import { dsqlMessages } from './messages.js';

const PACKAGE = '@aws-sdk/dsql-signer';

type DsqlSignerModule = typeof import('@aws-sdk/dsql-signer');
export type DsqlSignerClass = DsqlSignerModule['DsqlSigner'];

/** Imports the signer through `load`; a missing package becomes an error naming its install command. */
export async function importDsqlSigner(
  load: () => Promise<Pick<DsqlSignerModule, 'DsqlSigner'>>,
): Promise<DsqlSignerClass> {
  return (await importOptionalPeer(PACKAGE, load, (cause) => new Error(dsqlMessages.signerMissing(PACKAGE), { cause })))
    .DsqlSigner;
}

/** `@aws-sdk/dsql-signer` is an optional peer: imported on the first DSQL token. */
export const loadDsqlSigner = loadOnFirstUse(() => importDsqlSigner(() => import('@aws-sdk/dsql-signer')));
