import { importOptionalPeer } from './optional-peer.js';

/**
 * The optional peers RdsIamProxy runs on: SigV4 to check tokens, and pg's wire messages and SCRAM client to log in
 * behind them.
 */
export interface IamProxyPeers {
  Sha256: typeof import('@aws-crypto/sha256-js').Sha256;
  SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
  serialize: typeof import('pg-protocol').serialize;
  sasl: PgSasl;
}

/** pg's internal SCRAM client (`pg/lib/crypto/sasl.js`), which ships no type declarations. */
export interface PgSasl {
  startSession(mechanisms: string[]): { response: string };
  continueSession(session: unknown, password: string, serverData: string): Promise<void>;
  finalizeSession(session: unknown, serverData: string): void;
}

const FEATURE = 'RdsIamProxy';
let loading: Promise<IamProxyPeers> | undefined;

/** Loaded once, on the first proxy's start(): importing the testing kit never needs them. */
export function loadIamProxyPeers(): Promise<IamProxyPeers> {
  loading ??= (async () => {
    const [sha256, signature, protocol, sasl] = await Promise.all([
      importOptionalPeer('@aws-crypto/sha256-js', FEATURE, () => import('@aws-crypto/sha256-js')),
      importOptionalPeer('@smithy/signature-v4', FEATURE, () => import('@smithy/signature-v4')),
      importOptionalPeer('pg-protocol', FEATURE, () => import('pg-protocol')),
      // @ts-expect-error -- internal module of pg without type declarations
      import('pg/lib/crypto/sasl.js') as Promise<PgSasl>,
    ]);
    return { Sha256: sha256.Sha256, SignatureV4: signature.SignatureV4, serialize: protocol.serialize, sasl };
  })();
  // A failed load is not cached: installing the package and trying again works in the same process.
  loading.catch(() => (loading = undefined));
  return loading;
}
