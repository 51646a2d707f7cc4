import { z } from 'zod';
import { SecretsManagerCredentialProvider } from '../../credentials/secrets-manager.provider.js';
import { messages } from '../../errors/messages.js';
import * as defaults from '../defaults.js';
import { durationSchema } from '../duration.schema.js';
import { isRecord } from '../option-checker.js';
import type { CredentialSource } from './credential-source.js';

export interface SecretsManagerSource {
  kind: 'secrets-manager';
  secretId: string;
  region?: string;
  endpoint?: string;
  refreshIntervalMs: number;
}

const secretsManagerSchema = z.strictObject({
  secretId: z.string(),
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
    const refreshIntervalMs = check.positiveDuration(['secretsManager', 'refreshInterval'], defaults.DEFAULT_SECRETS_REFRESH_INTERVAL);
    if (secrets.secretId === '') check.fail(['secretsManager', 'secretId'], messages.required('the secret name or ARN'));
    return {
      kind: 'secrets-manager',
      secretId: String(secrets.secretId),
      region: secrets.region as string | undefined,
      endpoint: secrets.endpoint as string | undefined,
      refreshIntervalMs: refreshIntervalMs ?? 0,
    };
  },
  createProvider: (resolved) => new SecretsManagerCredentialProvider(resolved),
  describe: (resolved, credentials) => messages.describeSecret(resolved.secretId, credentials.version, credentials.username),
  fix: messages.sourceFix.secretsManager,
} satisfies CredentialSource<SecretsManagerSource>;
