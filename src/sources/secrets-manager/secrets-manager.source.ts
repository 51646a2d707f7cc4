import { z } from 'zod';
import type { Duration } from '../../common/duration.js';
import { durationSchema } from '../../common/duration.schema.js';
import { isRecord } from '../../common/option-checker.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { secretsManagerMessages } from './messages.js';
import { SecretsManagerCredentialProvider } from './secrets-manager.provider.js';

/** How often the secret is re-read without an auth failure, unless `secretsManager.refreshInterval` says otherwise. */
export const DEFAULT_SECRETS_REFRESH_INTERVAL = '1h';

/** Read `{ username, password }` from an AWS Secrets Manager secret that RDS rotation maintains. */
export interface SecretsManagerOptions {
  /** Secret name or ARN. Required. */
  secretId: string;
  /** AWS region. Default: the SDK's default chain (`AWS_REGION`). */
  region?: string;
  /** Endpoint override, e.g. a local emulator. Default: AWS. */
  endpoint?: string;
  /** How often to re-read the secret even without an auth failure. Default `'1h'`. */
  refreshInterval?: Duration;
}

export interface SecretsManagerSourceOptions {
  /** A Secrets Manager secret as the credential source. */
  secretsManager?: SecretsManagerOptions;
}

export interface SecretsManagerSource {
  kind: 'secrets-manager';
  secretId: string;
  region?: string;
  endpoint?: string;
  refreshIntervalMs: number;
}

const SECRET_ID_REQUIRED = sourceMessages.required(secretsManagerMessages.secretIdRequired);

const secretsManagerSchema = z.strictObject({
  secretId: z.string({ error: SECRET_ID_REQUIRED }),
  region: z.string().optional(),
  endpoint: z.string().optional(),
  refreshInterval: durationSchema.optional(),
});

/** A Secrets Manager secret that RDS rotation maintains (`{ "username", "password", … }`). */
export const secretsManagerSource = {
  kind: 'secrets-manager',
  optionKey: ['secretsManager'],
  shape: { secretsManager: secretsManagerSchema.optional() },
  chosenBy: (raw) => (isRecord(raw.secretsManager) ? ['secretsManager'] : undefined),
  resolve(raw, _facts, check) {
    const secrets = raw.secretsManager as Record<string, unknown>;
    const refreshIntervalMs = check.positiveDuration(
      ['secretsManager', 'refreshInterval'],
      DEFAULT_SECRETS_REFRESH_INTERVAL,
    );
    if (secrets.secretId === '') check.fail(['secretsManager', 'secretId'], SECRET_ID_REQUIRED);
    return {
      kind: 'secrets-manager',
      secretId: String(secrets.secretId),
      region: secrets.region as string | undefined,
      endpoint: secrets.endpoint as string | undefined,
      refreshIntervalMs: refreshIntervalMs ?? 0,
    };
  },
  createProvider: (resolved) => new SecretsManagerCredentialProvider(resolved),
  describe: (resolved, credentials) =>
    secretsManagerMessages.describeSecret(resolved.secretId, credentials.version, credentials.username),
  fix: secretsManagerMessages.fix,
} satisfies CredentialSource<SecretsManagerSource, SecretsManagerSourceOptions>;
