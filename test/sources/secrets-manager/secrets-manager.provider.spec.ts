import {
  GetSecretValueCommand,
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CredentialSourceError, SecretsManagerCredentialProvider } from '../../../src/index.js';

const secretsManager = mockClient(SecretsManagerClient);

function provider() {
  return new SecretsManagerCredentialProvider({
    secretId: 'prod/orders',
    client: new SecretsManagerClient({ region: 'us-east-1' }),
  });
}

async function failureOf(promise: Promise<unknown>): Promise<CredentialSourceError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CredentialSourceError);
  return error as CredentialSourceError;
}

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(DescribeSecretCommand).resolves({ RotationEnabled: false });
});

describe('SecretsManagerCredentialProvider', () => {
  it('reads username and password from the JSON that RDS rotation writes', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ engine: 'postgres', host: 'db', username: 'orders', password: 'pw-123456' }),
      VersionId: 'v-1',
    });
    await expect(provider().fetch({ reason: 'initial' })).resolves.toEqual({
      username: 'orders',
      password: 'pw-123456',
      version: 'v-1',
    });
  });

  it('rejects a secret that is not JSON, naming the secret but not quoting it', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'username=orders password=hunter2-value' });
    const error = await failureOf(provider().fetch({ reason: 'initial' }));
    expect(error.message).toMatch(/secret "prod\/orders" is not JSON/);
    expect(error.message).not.toContain('hunter2-value');
  });

  it('names the missing keys', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ user: 'orders', pass: 'hunter2-value' }) });
    const error = await failureOf(provider().fetch({ reason: 'initial' }));
    expect(error.message).toMatch(/"prod\/orders" has no string username and password key/);
    expect(error.message).not.toContain('hunter2-value');
  });

  it('rejects a binary secret with what to do instead', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode('{"username":"a","password":"hunter2-value"}') });
    const error = await failureOf(provider().fetch({ reason: 'initial' }));
    expect(error.message).toMatch(/"prod\/orders" is a binary secret; store the JSON as SecretString/);
    expect(error.message).not.toContain('hunter2-value');
  });

  it('on a refusal of AWSCURRENT, reads AWSPENDING (the setSecret → finishSecret window)', async () => {
    const old = { username: 'orders', password: 'old-password' };
    secretsManager
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: JSON.stringify(old), VersionId: 'v-1' });
    secretsManager.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).resolves({
      SecretString: JSON.stringify({ username: 'orders', password: 'new-password' }),
      VersionId: 'v-2',
    });
    const credentials = await provider().fetch({ reason: 'auth-failure', rejected: old });
    expect(credentials).toMatchObject({ password: 'new-password', version: 'v-2' });
  });

  it('falls back to AWSCURRENT when no rotation is in progress', async () => {
    const current = { username: 'orders', password: 'same-password' };
    secretsManager
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: JSON.stringify(current), VersionId: 'v-1' });
    secretsManager
      .on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })
      .rejects(new ResourceNotFoundException({ message: 'no pending', $metadata: {} }));
    await expect(provider().fetch({ reason: 'auth-failure', rejected: current })).resolves.toMatchObject({
      version: 'v-1',
    });
  });

  it('wraps service errors with the secret id and stage', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const error = await failureOf(provider().fetch({ reason: 'scheduled' }));
    expect(error.message).toBe(
      'Secrets Manager GetSecretValue(prod/orders, AWSCURRENT) failed: ThrottlingException: Rate exceeded',
    );
  });

  it('plans a re-read shortly after the next scheduled rotation', async () => {
    const next = new Date(Date.now() + 3_600_000);
    secretsManager.on(DescribeSecretCommand).resolves({ RotationEnabled: true, NextRotationDate: next });
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'a', password: 'b' }) });
    const source = provider();
    await source.fetch({ reason: 'initial' });
    expect(source.nextRefreshAt()!.getTime()).toBeGreaterThan(next.getTime());
  });
});
