import { describeValue } from '../../errors/messages.js';
import { reusedUntil } from '../messages.js';

/** The Aurora DSQL source's sentences: one catalogue per area (see errors/messages.ts for the rule). Never a token. */
export const dsqlMessages = {
  regionRequired: 'the AWS region of the cluster, e.g. "us-east-1"',
  enabledRequired: 'true to sign Aurora DSQL auth tokens for new connections (false ignores the block)',
  tokenTtlNotBelowExpiresIn: (value: unknown, expiresInKey: string) =>
    `${describeValue(value)} is not below ${expiresInKey}: a token must still be valid for the last login that reuses it. Use "10m" with the default 15m`,
  expiresInTooLong: (value: unknown) =>
    `${describeValue(value)} is longer than a week; Aurora DSQL refuses tokens signed for longer (604800 s)`,
  dsqlNeedsTls: (allowKey: string) =>
    `Aurora DSQL accepts connections over TLS only: use sslmode=verify-full in the dsn or set ssl; for a local emulator set ${allowKey}: true`,
  dsqlNeedsVerifiedTls: (allowKey: string) =>
    `TLS without verifying the server (sslmode=no-verify or rejectUnauthorized: false) would hand an Aurora DSQL token to anyone in the middle: use sslmode=verify-full (the cluster's certificate is public-CA signed), or set ${allowKey}: true to accept that risk`,
  describeDsql: (username: string, action: string, host: string, region: string, expiresAt?: string) =>
    `signed an Aurora DSQL ${action} token for ${username}@${host} in ${region}${reusedUntil(expiresAt)}`,
  fix: 'Check the AWS credentials the SDK finds (env, profile, role), the region, and that @aws-sdk/dsql-signer is installed.',
  signerMissing: (name: string) =>
    `dsqlAuth needs the ${name} package, an optional peer of nestjs-rotating-pg: npm install ${name}`,
} as const;
