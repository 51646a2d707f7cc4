import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { type AwsSigningCredentials, awsCredentialsProvider, tokenReusableUntil } from '../aws-signing-credentials.js';
import { DSQL_ADMIN_USER } from './dsql.defaults.js';
import { loadDsqlSigner } from './dsql-signer.js';

export interface DsqlProviderOptions {
  region: string;
  /** Database role the token is for: `admin` signs `DbConnectAdmin`, any other `DbConnect`. */
  username: string;
  /** The cluster endpoint the token is signed for (DSQL signs the host name only, no port). */
  signingHost: string;
  /** How long one token is reused for new logins; below `expiresInMs`. */
  tokenTtlMs: number;
  /** How long the token is valid as signed (X-Amz-Expires); a week at most. */
  expiresInMs: number;
  /** AWS credentials; default: the SDK's provider chain (env, profile, IRSA, instance role…). */
  credentials?: AwsSigningCredentials;
  /** The clock the reuse window is counted on. Default `Date.now`; tests pass a manual one. */
  now?: () => number;
}

/** The IAM action a token for `username` is signed for. */
export function dsqlActionFor(username: string): 'DbConnectAdmin' | 'DbConnect' {
  return username === DSQL_ADMIN_USER ? 'DbConnectAdmin' : 'DbConnect';
}

/**
 * Signs Aurora DSQL auth tokens with `@aws-sdk/dsql-signer`. Each fetch signs one; the credential
 * cache reuses it for new logins until `tokenTtlMs` or shortly before the AWS credentials that
 * signed it expire, whichever is first (AWS's own connector signs one per connection; a token
 * serves any number of logins while valid), and a refused login forces a new one.
 */
export class DsqlCredentialProvider implements CredentialProvider {
  readonly name = 'dsql';
  // ES private fields: util.inspect and JSON never show them (static AWS keys may be given here).
  readonly #options: DsqlProviderOptions;
  readonly #awsCredentials: AwsCredentialIdentityProvider;

  constructor(options: DsqlProviderOptions) {
    this.#options = options;
    this.#awsCredentials = awsCredentialsProvider(options.credentials);
  }

  async fetch(): Promise<Credentials> {
    const DsqlSigner = await loadDsqlSigner();
    const identity = await this.#awsCredentials();
    const signedAt = (this.#options.now ?? Date.now)();
    const signer = new DsqlSigner({
      hostname: this.#options.signingHost,
      region: this.#options.region,
      credentials: identity,
      expiresIn: Math.floor(this.#options.expiresInMs / 1000),
    });
    const action = dsqlActionFor(this.#options.username);
    const token =
      action === 'DbConnectAdmin' ? await signer.getDbConnectAdminAuthToken() : await signer.getDbConnectAuthToken();
    return {
      username: this.#options.username,
      password: token,
      expiresAt: tokenReusableUntil(signedAt, this.#options.tokenTtlMs, identity),
      version: `${action} token signed ${new Date(signedAt).toISOString()}`,
    };
  }
}
