/**
 * The Secrets Manager source's sentences: one catalogue per area (see errors/messages.ts for the
 * rule). They name the secret, never its value.
 */
export const secretsManagerMessages = {
  secretIdRequired: 'the secret name or ARN',
  describeSecret: (secretId: string, version: string | undefined, username: string) =>
    `read secret ${secretId} (version ${version ?? '?'}) for user ${username}`,
  fix: 'Check the secret id, region and the secretsmanager:GetSecretValue permission.',
  readFailed: (secretId: string, stage: string, errorName: string, errorMessage: string) =>
    `Secrets Manager GetSecretValue(${secretId}, ${stage}) failed: ${errorName}: ${errorMessage}`,
  malformedSecret: (secretId: string, problem: string) => `Secrets Manager secret "${secretId}" ${problem}`,
  secretIsBinary: () => 'is a binary secret; store the JSON as SecretString',
  secretHasNoString: () => 'has no SecretString',
  secretNotJson: () => 'is not JSON; expected {"username": "...", "password": "..."} as RDS rotation writes it',
  secretMissingKeys: (keys: readonly string[]) => `has no string ${keys.join(' and ')} key`,
} as const;
