import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type {
  CredentialFetchContext,
  CredentialProvider,
  Credentials,
} from '../../credentials/credential-provider.interface.js';
import { CredentialSourceError } from '../../errors/errors.js';
import { secretsManagerMessages as messages } from './messages.js';

export interface SecretsManagerProviderOptions {
  secretId: string;
  region?: string;
  endpoint?: string;
  /** Re-read the secret this often without an auth failure, in ms. */
  refreshIntervalMs?: number;
  /** A ready client (custom credentials, retries, tests). */
  client?: SecretsManagerClient;
}

/** Re-read this long after `NextRotationDate`, when the rotation should have finished. */
const AFTER_ROTATION_DELAY_MS = 2 * 60_000;

/**
 * Reads `{ username, password }` from the JSON that RDS rotation writes. On a refused login
 * it reads AWSCURRENT and, when that still holds the refused credentials, AWSPENDING: between
 * setSecret and finishSecret the database already wants the pending ones.
 */
export class SecretsManagerCredentialProvider implements CredentialProvider {
  readonly name = 'secrets-manager';
  readonly refreshIntervalMs?: number;
  private readonly client: SecretsManagerClient;
  private readonly ownsClient: boolean;
  private nextRotation?: Date;

  constructor(private readonly options: SecretsManagerProviderOptions) {
    this.refreshIntervalMs = options.refreshIntervalMs;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new SecretsManagerClient({ region: options.region, endpoint: options.endpoint });
  }

  async fetch({ reason, rejected }: CredentialFetchContext): Promise<Credentials> {
    if (reason === 'initial' || (this.nextRotation && this.nextRotation.getTime() < Date.now())) {
      await this.readRotationSchedule();
    }
    const current = await this.read('AWSCURRENT');
    if (reason !== 'auth-failure' || !rejected || !sameLogin(current, rejected)) return current;
    return (await this.readPending()) ?? current;
  }

  /** Next scheduled re-read: shortly after a rotation is due, if that comes before the interval. */
  nextRefreshAt(): Date | undefined {
    return this.nextRotation ? new Date(this.nextRotation.getTime() + AFTER_ROTATION_DELAY_MS) : undefined;
  }

  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private async readPending(): Promise<Credentials | undefined> {
    try {
      return await this.read('AWSPENDING');
    } catch (error) {
      // No rotation in progress: there is no AWSPENDING version.
      if (error instanceof CredentialSourceError && error.cause instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  private async read(stage: 'AWSCURRENT' | 'AWSPENDING'): Promise<Credentials> {
    const { secretId } = this.options;
    let response;
    try {
      response = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    } catch (error) {
      throw new CredentialSourceError(
        messages.readFailed(secretId, stage, (error as Error).name, (error as Error).message),
        this.name,
        { cause: error },
      );
    }
    if (response.SecretString === undefined) {
      throw this.malformed(response.SecretBinary ? messages.secretIsBinary() : messages.secretHasNoString());
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.SecretString);
    } catch {
      // JSON.parse quotes the text it choked on: that text is the secret, so say nothing of it.
      throw this.malformed(messages.secretNotJson());
    }
    const { username, password } = (parsed ?? {}) as Record<string, unknown>;
    const missing = [typeof username !== 'string' && 'username', typeof password !== 'string' && 'password'].filter(
      (key) => key !== false,
    );
    if (missing.length > 0) throw this.malformed(messages.secretMissingKeys(missing));
    return { username: username as string, password: password as string, version: response.VersionId ?? stage };
  }

  private async readRotationSchedule(): Promise<void> {
    try {
      const description = await this.client.send(new DescribeSecretCommand({ SecretId: this.options.secretId }));
      this.nextRotation = description.RotationEnabled ? description.NextRotationDate : undefined;
    } catch {
      // Only a scheduling hint: the interval refresh still runs without it.
      this.nextRotation = undefined;
    }
  }

  private malformed(problem: string): CredentialSourceError {
    return new CredentialSourceError(messages.malformedSecret(this.options.secretId, problem), this.name);
  }
}

function sameLogin(a: Credentials, b: Credentials): boolean {
  return a.username === b.username && a.password === b.password;
}
