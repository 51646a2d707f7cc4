import { Signer } from '@aws-sdk/rds-signer';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { type AwsSigningCredentials, awsCredentialsProvider, tokenReusableUntil } from '../aws-signing-credentials.js';

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
  credentials?: AwsSigningCredentials;
  /** The clock the reuse window is counted on. Default `Date.now`; tests pass a manual one. */
  now?: () => number;
}

/**
 * Signs RDS IAM auth tokens. Each fetch signs one; the credential cache reuses it for new
 * logins until `tokenTtlMs` or shortly before the AWS credentials that signed it expire,
 * whichever is first, and a login refused with 28000 forces a new one.
 */
export class RdsIamCredentialProvider implements CredentialProvider {
  readonly name = 'rds-iam';
  // ES private fields: util.inspect and JSON never show them, and static AWS keys given in the
  // options live here (a user may log the DbService, which holds this provider).
  readonly #options: RdsIamProviderOptions;
  readonly #awsCredentials: AwsCredentialIdentityProvider;

  constructor(options: RdsIamProviderOptions) {
    this.#options = options;
    this.#awsCredentials = awsCredentialsProvider(options.credentials);
  }

  async fetch(): Promise<Credentials> {
    const identity = await this.#awsCredentials();
    const signedAt = (this.#options.now ?? Date.now)();
    const signer = new Signer({
      hostname: this.#options.signingHost,
      port: this.#options.signingPort,
      username: this.#options.username,
      region: this.#options.region,
      credentials: identity,
    });
    const token = await signer.getAuthToken();
    return {
      username: this.#options.username,
      password: token,
      expiresAt: tokenReusableUntil(signedAt, this.#options.tokenTtlMs, identity),
      version: `token signed ${new Date(signedAt).toISOString()}`,
    };
  }
}
