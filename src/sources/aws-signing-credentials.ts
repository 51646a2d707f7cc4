import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** AWS credentials a token source signs with: fixed keys, or a provider (the SDK's, or one of the user's). */
export type AwsSigningCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** The provider asked before each signature; default: the SDK's chain (env, profile, SSO, IRSA, ECS, instance role) */
export function awsCredentialsProvider(credentials: AwsSigningCredentials | undefined): AwsCredentialIdentityProvider {
  if (typeof credentials === 'function') return credentials;
  return credentials ? async () => credentials : fromNodeProviderChain();
}

/** Most of the margin kept before the signing credentials expire (the SDK itself renews them minutes before). */
const MAX_SIGNING_MARGIN_MS = 60_000;
/** Share of the credentials' remaining life kept as margin when that is shorter. */
const SIGNING_MARGIN_SHARE = 0.25;

/**
 * Until when new logins may use a token signed at `signedAt`: its reuse window, or, when the
 * credentials that signed it are temporary (SSO, IRSA, ECS, Fargate, an assumed role), shortly
 * before they expire, whichever is first. AWS refuses a presigned token once the session that
 * signed it has expired, even inside the token's own X-Amz-Expires.
 */
export function tokenReusableUntil(
  signedAt: number,
  reuseMs: number,
  identity: Pick<AwsCredentialIdentity, 'expiration'>,
): Date {
  const reusable = signedAt + reuseMs;
  const credentialsEnd = identity.expiration?.getTime();
  if (credentialsEnd === undefined) return new Date(reusable);
  const margin = Math.min(MAX_SIGNING_MARGIN_MS, Math.max(0, credentialsEnd - signedAt) * SIGNING_MARGIN_SHARE);
  return new Date(Math.min(reusable, credentialsEnd - margin));
}
