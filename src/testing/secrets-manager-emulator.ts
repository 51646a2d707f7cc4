import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A fault the emulator answers with instead of serving. */
export type SecretsManagerFault = 'throttling' | 'internal-error' | 'unavailable';

interface SecretVersion {
  versionId: string;
  secretString: string;
  stages: Set<string>;
  createdAt: Date;
}

interface StoredSecret {
  name: string;
  arn: string;
  versions: Map<string, SecretVersion>;
  rotationEnabled: boolean;
  nextRotationDate?: Date;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * A local AWS Secrets Manager speaking the JSON 1.1 protocol the real
 * `@aws-sdk/client-secrets-manager` uses: GetSecretValue, DescribeSecret, CreateSecret,
 * PutSecretValue and UpdateSecretVersionStage, with staging labels and version ids, a call
 * counter, and settable faults and latency. Point the client's `endpoint` at `endpoint`.
 */
export class SecretsManagerEmulator {
  /** Calls per operation, e.g. `calls.GetSecretValue`. */
  readonly calls: Record<string, number> = {};
  /** Answer every call with this fault until cleared. */
  fault?: SecretsManagerFault;
  /** Delay before every answer, in ms. */
  latencyMs = 0;
  private readonly secrets = new Map<string, StoredSecret>();
  private server?: Server;
  private url?: string;

  constructor(private readonly region = 'us-east-1') {}

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  get endpoint(): string {
    if (!this.url) throw new Error('SecretsManagerEmulator: call start() first');
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Creates a secret whose AWSCURRENT version holds `value` (JSON-encoded when not a string). */
  createSecret(name: string, value: unknown, rotation?: { nextRotationDate: Date }): string {
    const secret: StoredSecret = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`,
      versions: new Map(),
      rotationEnabled: rotation !== undefined,
      nextRotationDate: rotation?.nextRotationDate,
    };
    this.secrets.set(name, secret);
    return this.addVersion(secret, typeof value === 'string' ? value : JSON.stringify(value), ['AWSCURRENT']).versionId;
  }

  /** Total calls of all operations. */
  get totalCalls(): number {
    return Object.values(this.calls).reduce((sum, count) => sum + count, 0);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = String(request.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    try {
      this.throwFault();
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      this.reply(response, 200, this.dispatch(operation, input));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('InternalServiceError', String(error), 500);
      this.reply(response, apiError.status, { __type: apiError.type, message: apiError.message }, apiError.type);
    }
  }

  private throwFault(): void {
    if (this.fault === 'throttling') throw new ApiError('ThrottlingException', 'Rate exceeded', 400);
    if (this.fault === 'internal-error') throw new ApiError('InternalServiceError', 'emulated outage', 500);
    if (this.fault === 'unavailable') throw new ApiError('ServiceUnavailableException', 'emulated outage', 503);
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'GetSecretValue':
        return this.getSecretValue(input);
      case 'DescribeSecret':
        return this.describeSecret(input);
      case 'CreateSecret':
        return this.createSecretCall(input);
      case 'PutSecretValue':
        return this.putSecretValue(input);
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(input);
      default:
        throw new ApiError('UnknownOperationException', `${operation} is not emulated`);
    }
  }

  private getSecretValue(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const version = input.VersionId
      ? secret.versions.get(text(input.VersionId))
      : this.versionAt(secret, text(input.VersionStage ?? 'AWSCURRENT'));
    if (!version) {
      throw new ApiError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label or version",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt.getTime() / 1000,
    };
  }

  private describeSecret(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      NextRotationDate: secret.nextRotationDate ? secret.nextRotationDate.getTime() / 1000 : undefined,
      VersionIdsToStages: Object.fromEntries([...secret.versions.values()].map((v) => [v.versionId, [...v.stages]])),
    };
  }

  private createSecretCall(input: Record<string, unknown>) {
    const name = String(input.Name);
    if (this.secrets.has(name)) throw new ApiError('ResourceExistsException', `secret ${name} already exists`);
    const versionId = this.createSecret(name, text(input.SecretString ?? ''));
    return { ARN: this.find(name).arn, Name: name, VersionId: versionId };
  }

  private putSecretValue(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : ['AWSCURRENT'];
    const version = this.addVersion(
      secret,
      text(input.SecretString ?? ''),
      stages,
      input.ClientRequestToken as string | undefined,
    );
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
  }

  private updateSecretVersionStage(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const stage = String(input.VersionStage);
    if (input.RemoveFromVersionId) secret.versions.get(text(input.RemoveFromVersionId))?.stages.delete(stage);
    if (input.MoveToVersionId) {
      const target = secret.versions.get(text(input.MoveToVersionId));
      if (!target) throw new ApiError('ResourceNotFoundException', 'no such version');
      this.moveStage(secret, stage, target);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  private addVersion(
    secret: StoredSecret,
    secretString: string,
    stages: string[],
    versionId: string = randomUUID(),
  ): SecretVersion {
    const version: SecretVersion = { versionId, secretString, stages: new Set(), createdAt: new Date() };
    secret.versions.set(versionId, version);
    for (const stage of stages) this.moveStage(secret, stage, version);
    return version;
  }

  /** A staging label is on one version at a time; moving AWSCURRENT leaves AWSPREVIOUS behind, as AWS does. */
  private moveStage(secret: StoredSecret, stage: string, target: SecretVersion): void {
    const holder = this.versionAt(secret, stage);
    if (holder === target) return;
    if (holder) {
      holder.stages.delete(stage);
      if (stage === 'AWSCURRENT') this.moveStage(secret, 'AWSPREVIOUS', holder);
    }
    target.stages.add(stage);
  }

  private versionAt(secret: StoredSecret, stage: string): SecretVersion | undefined {
    return [...secret.versions.values()].find((version) => version.stages.has(stage));
  }

  private find(secretId: unknown): StoredSecret {
    const id = String(secretId);
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((candidate) => candidate.arn === id);
    if (!secret) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private reply(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  }
}

/**
 * A request field as text. The SDK sends these fields as JSON strings, and any other JSON scalar reads as `String`
 * would write it; an object or array is written as JSON rather than `[object Object]`.
 */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
