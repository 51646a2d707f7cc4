import { importTestingPeer } from './optional-peer.js';

/** The optional peers RdsIamProxy checks tokens with (SigV4); its login behind them is PostgresTokenFront's. */
export interface IamProxyPeers {
  Sha256: typeof import('@aws-crypto/sha256-js').Sha256;
  SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
}

const FEATURE = 'RdsIamProxy';
let loading: Promise<IamProxyPeers> | undefined;

/** Loaded once, on the first proxy's start(): importing the testing kit never needs them. */
export function loadIamProxyPeers(): Promise<IamProxyPeers> {
  loading ??= (async () => {
    const [sha256, signature] = await Promise.all([
      importTestingPeer('@aws-crypto/sha256-js', FEATURE, () => import('@aws-crypto/sha256-js')),
      importTestingPeer('@smithy/signature-v4', FEATURE, () => import('@smithy/signature-v4')),
    ]);
    return { Sha256: sha256.Sha256, SignatureV4: signature.SignatureV4 };
  })();
  // A failed load is not cached: installing the package and trying again works in the same process.
  loading.catch(() => (loading = undefined));
  return loading;
}
