import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Signer } from '@aws-sdk/rds-signer';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';

export interface RdsIamProviderOptions {
  region: string;
  /** Database user the token is for. */
  username: string;
  /** Host and port the token is signed for: the RDS endpoint. */
  signingHost: string;
  signingPort: number;
  /** How long one token is reused for new logins; < 15 minutes. */
  tokenTtlMs: number;
  /** AWS credentials; default: the SDK's provider chain (env, profile, IRSA, instance role…). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** A token must not be used this close to the expiry of the AWS credentials that signed it. */
const SIGNER_CREDENTIALS_MARGIN_MS = 60_000;

/**
 * Signs RDS IAM auth tokens. Each fetch signs one; the credential cache reuses it for new
 * logins until `tokenTtlMs` (or the AWS credentials' own expiry, whichever is first), and
 * a login refused with 28000 forces a new one.
 */
export class RdsIamCredentialProvider implements CredentialProvider {
  readonly name = 'rds-iam';
  // ES private fields: util.inspect and JSON never show them, and static AWS keys given in the
  // options live here (a user may log the DbService, which holds this provider).
  readonly #options: RdsIamProviderOptions;
  readonly #awsCredentials: AwsCredentialIdentityProvider;

  constructor(options: RdsIamProviderOptions) {
    this.#options = options;
    const { credentials } = options;
    this.#awsCredentials =
      typeof credentials === 'function' ? credentials : credentials ? async () => credentials : fromNodeProviderChain();
  }

  async fetch(): Promise<Credentials> {
    const identity = await this.#awsCredentials();
    const signedAt = Date.now();
    const signer = new Signer({
      hostname: this.#options.signingHost,
      port: this.#options.signingPort,
      username: this.#options.username,
      region: this.#options.region,
      credentials: identity,
    });
    const token = await signer.getAuthToken();
    let expiresAt = signedAt + this.#options.tokenTtlMs;
    // A presigned token dies with the (temporary) credentials that signed it.
    if (identity.expiration) expiresAt = Math.min(expiresAt, identity.expiration.getTime() - SIGNER_CREDENTIALS_MARGIN_MS);
    return {
      username: this.#options.username,
      password: token,
      expiresAt: new Date(expiresAt),
      version: `token signed ${new Date(signedAt).toISOString()}`,
    };
  }
}
