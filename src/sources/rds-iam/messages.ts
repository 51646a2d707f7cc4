import { describeValue } from '../../errors/messages.js';
import { reusedUntil } from '../messages.js';

/** The RDS IAM source's sentences: one catalogue per area (see errors/messages.ts for the rule). Never a token. */
export const rdsIamMessages = {
  regionRequired: 'the AWS region of the database, e.g. "us-east-1"',
  enabledRequired: 'true to sign an IAM auth token for each new connection (false ignores the block)',
  tokenTtlTooLong: (value: unknown) =>
    `${describeValue(value)} is not below 15m; an IAM token is valid for 15 minutes at most. Use "10m"`,
  iamNeedsTls: (allowKey: string) =>
    `RDS accepts IAM logins over TLS only: use sslmode=verify-full (with the RDS CA bundle) in the dsn or set ssl; for a local emulator set ${allowKey}: true`,
  iamNeedsVerifiedTls: (allowKey: string) =>
    `TLS without verifying the server (sslmode=no-verify or rejectUnauthorized: false) would hand a 15-minute IAM token to anyone in the middle: use sslmode=verify-full with sslrootcert=/path/global-bundle.pem (the RDS CA bundle), or set ${allowKey}: true to accept that risk`,
  describeIam: (username: string, host: string, port: number, region: string, expiresAt?: string) =>
    `signed an IAM token for ${username}@${host}:${port} in ${region}${reusedUntil(expiresAt)}`,
  fix: 'Check the AWS credentials the SDK finds (env, profile, role) and the region.',
} as const;
