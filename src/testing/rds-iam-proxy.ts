import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type IamProxyPeers, loadIamProxyPeers } from './iam-proxy-peers.js';
import {
  CANCEL_REQUEST_CODE,
  errorResponse,
  GSSENC_REQUEST_CODE,
  int32,
  MessageReader,
  readStartupParameters,
  SSL_REQUEST_CODE,
  typed,
} from './pg-wire.js';

export interface RdsIamProxyOptions {
  /** The real PostgreSQL server. */
  backend: { host: string; port: number };
  /** The real password of each database user that logs in through the proxy. */
  backendPassword: (user: string) => string | undefined;
  /**
   * Whose tokens to check: `'rds-db'` (default), RDS IAM (`Action=connect`, `DBUser`, host and
   * port), or `'dsql'`, Aurora DSQL (`Action=DbConnect`, `DbConnectAdmin` for the user `admin`,
   * the host name alone), as `@aws-sdk/rds-signer` and `@aws-sdk/dsql-signer` sign them.
   */
  service?: 'rds-db' | 'dsql';
  /** AWS region and the test credentials tokens must be signed with. */
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * When the temporary credentials a token was signed with (its X-Amz-Security-Token) expire, in
   * epoch ms: from then on their tokens are refused, as AWS does, whatever their X-Amz-Expires.
   * Default: they never expire.
   */
  sessionExpiresAt?: (sessionToken: string | undefined) => number | undefined;
  /** Host (and port, for RDS) tokens must be signed for. Default: 127.0.0.1 and the proxy's port. */
  signingHost?: string;
  signingPort?: number;
  /**
   * Longest a token is accepted after signing, in ms; RDS: 15 minutes, DSQL: its X-Amz-Expires (a week at most). Lower
   * it to test expiry fast.
   */
  tokenLifetimeMs?: number;
  /** The proxy's clock. Default `Date.now`. */
  now?: () => number;
  /** Serve TLS (answer SSLRequest with 'S'); with `requireTls`, plain-text logins are refused like RDS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  requireTls?: boolean;
}

/** How each service's tokens are signed and refused. */
const SERVICES = {
  'rds-db': { maxLifetimeMs: 15 * 60_000, refusal: 'PAM authentication failed for user' },
  dsql: { maxLifetimeMs: 7 * 24 * 3_600_000, refusal: 'IAM authentication failed for user' },
} as const;

/**
 * A stand-in for RDS IAM or Aurora DSQL authentication: a PostgreSQL wire-protocol proxy that
 * asks for a cleartext password, checks it is an auth token of the service (SigV4 signature by
 * the configured test credentials, host, port for RDS, action, DBUser for RDS, X-Amz-Date +
 * X-Amz-Expires against its clock, the signing session's expiry), answers a bad or expired one
 * with SQLSTATE 28000 "PAM authentication failed for user" as RDS does ("IAM authentication
 * failed for user" as DSQL does), and otherwise logs into the real server and relays the
 * session byte for byte.
 */
export class RdsIamProxy {
  accepted = 0;
  rejected = 0;
  /** Distinct tokens seen: how many times the client signed. */
  readonly tokens = new Set<string>();
  /** Why each rejected login was rejected, newest last. */
  readonly rejections: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private listenPort = 0;
  /** Optional peers of the testing kit, loaded by start(). */
  private peers?: IamProxyPeers;

  constructor(private readonly options: RdsIamProxyOptions) {}

  /** Listens on a free port of 127.0.0.1; after `stop()`, on the same port again (a database back at its address). */
  async start(): Promise<{ host: string; port: number }> {
    this.peers ??= await loadIamProxyPeers();
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) =>
      this.server!.once('error', reject).listen(this.listenPort, '127.0.0.1', resolve),
    );
    const address = this.server.address();
    this.listenPort = typeof address === 'object' && address ? address.port : 0;
    return { host: '127.0.0.1', port: this.listenPort };
  }

  get port(): number {
    return this.listenPort;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(raw: Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    let socket: Socket = raw;
    let encrypted = false;
    let reader = new MessageReader();
    let stage: 'startup' | 'password' | 'done' = 'startup';
    let parameters: Record<string, string> = {};

    const onData = (chunk: Buffer): void => {
      reader.push(chunk);
      if (stage === 'startup') {
        const message = reader.nextUntyped();
        if (!message) return;
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
          if (code === SSL_REQUEST_CODE && this.options.tls && !encrypted) {
            socket.write('S');
            socket.off('data', onData);
            const secure = new TLSSocket(socket, {
              isServer: true,
              key: this.options.tls.key,
              cert: this.options.tls.cert,
            });
            secure.on('error', () => raw.destroy());
            secure.on('data', onData);
            socket = secure;
            encrypted = true;
            reader = new MessageReader();
          } else {
            socket.write('N');
          }
          return;
        }
        if (code === CANCEL_REQUEST_CODE) return void socket.end();
        parameters = readStartupParameters(message);
        if (this.options.requireTls && !encrypted) {
          return this.refuse(
            socket,
            `no pg_hba.conf entry for host "127.0.0.1", user "${parameters.user}", no encryption`,
            '28000',
            'plaintext',
            'ClientAuthentication',
          );
        }
        stage = 'password';
        socket.write(typed('R', int32(3))); // AuthenticationCleartextPassword
        return;
      }
      if (stage === 'password') {
        const message = reader.next();
        if (!message) return;
        stage = 'done';
        socket.off('data', onData);
        const token = message.body.subarray(0, message.body.length - 1).toString('utf8');
        void this.login(socket, parameters, token);
      }
    };
    socket.on('data', onData);
  }

  private async login(client: Socket, parameters: Record<string, string>, token: string): Promise<void> {
    const user = parameters.user ?? '';
    this.tokens.add(token);
    const refusal = `${SERVICES[this.service].refusal} "${user}"`;
    const problem = await this.verify(token, user);
    if (problem) return this.refuse(client, refusal, '28000', problem);
    const password = this.options.backendPassword(user);
    if (password === undefined) return this.refuse(client, refusal, '28000', 'unknown user');
    try {
      await this.relay(client, parameters, password);
      this.accepted++;
    } catch (error) {
      this.refuse(client, `could not reach the database: ${(error as Error).message}`, '08006', 'backend', 'relay');
    }
  }

  private get service(): 'rds-db' | 'dsql' {
    return this.options.service ?? 'rds-db';
  }

  /** Why `token` is not a valid auth token of the service for `user` now, or undefined when it is. */
  private async verify(token: string, user: string): Promise<string | undefined> {
    let url: URL;
    try {
      url = new URL(`https://${token}`);
    } catch {
      return 'not a token';
    }
    const query = url.searchParams;
    const signed = this.signedRequest(user);
    if (url.host !== signed.headers.host) return `signed for ${url.host}, not ${signed.headers.host}`;
    const extra = [...query.keys()].filter((key) => !key.startsWith('X-Amz-') && !(key in signed.query));
    if (Object.entries(signed.query).some(([key, value]) => query.get(key) !== value) || extra.length > 0) {
      return this.service === 'dsql' ? 'wrong action' : 'wrong action or DBUser';
    }
    const [accessKeyId, , region, service] = (query.get('X-Amz-Credential') ?? '').split('/');
    if (accessKeyId !== this.options.credentials.accessKeyId) return 'unknown access key';
    if (region !== this.options.region || service !== this.service) return 'wrong region or service';
    const signedAt = parseAmzDate(query.get('X-Amz-Date') ?? '');
    const expiresIn = Number(query.get('X-Amz-Expires'));
    if (signedAt === undefined || !Number.isFinite(expiresIn)) return 'no date or expiry';
    const { maxLifetimeMs } = SERVICES[this.service];
    if (expiresIn * 1000 > maxLifetimeMs) return 'expiry too long';
    const now = (this.options.now ?? Date.now)();
    const lifetime = Math.min(expiresIn * 1000, this.options.tokenLifetimeMs ?? maxLifetimeMs);
    if (now >= signedAt + lifetime) return 'expired';
    if (signedAt > now + 60_000) return 'signed in the future';
    const sessionToken = query.get('X-Amz-Security-Token') ?? undefined;
    const sessionEnd = this.options.sessionExpiresAt?.(sessionToken);
    if (sessionEnd !== undefined && now >= sessionEnd) return 'signing credentials expired';
    const expected = await this.sign(signed, new Date(signedAt), expiresIn, sessionToken);
    const given = Buffer.from(query.get('X-Amz-Signature') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return 'bad signature';
    return undefined;
  }

  /**
   * The request a token for `user` presigns: RDS's names host, port and DBUser; DSQL's the host name and the action
   * alone.
   */
  private signedRequest(user: string): {
    hostname: string;
    port?: number;
    query: Record<string, string>;
    headers: { host: string };
  } {
    const hostname = this.options.signingHost ?? '127.0.0.1';
    if (this.service === 'dsql') {
      return {
        hostname,
        query: { Action: user === 'admin' ? 'DbConnectAdmin' : 'DbConnect' },
        headers: { host: hostname },
      };
    }
    const port = this.options.signingPort ?? this.listenPort;
    return { hostname, port, query: { Action: 'connect', DBUser: user }, headers: { host: `${hostname}:${port}` } };
  }

  private async sign(
    request: ReturnType<RdsIamProxy['signedRequest']>,
    signingDate: Date,
    expiresIn: number,
    sessionToken?: string,
  ): Promise<string> {
    const { SignatureV4, Sha256 } = this.peers!;
    const signer = new SignatureV4({
      service: this.service,
      region: this.options.region,
      credentials: { ...this.options.credentials, sessionToken },
      sha256: Sha256,
    });
    const presigned = await signer.presign(
      { method: 'GET', protocol: 'https:', path: '/', ...request },
      { signingDate, expiresIn },
    );
    return String(presigned.query?.['X-Amz-Signature']);
  }

  /**
   * `routine` as PostgreSQL reports it: `auth_failed` for refused credentials, `ClientAuthentication` for pg_hba.conf.
   */
  private refuse(client: Socket, message: string, code: string, reason: string, routine = 'auth_failed'): void {
    this.rejected++;
    this.rejections.push(reason);
    client.end(errorResponse(code, message, routine));
  }

  /** Logs into the real server as `parameters.user`, then pipes both ways from AuthenticationOk on. */
  private relay(client: Socket, parameters: Record<string, string>, password: string): Promise<void> {
    const { serialize, sasl } = this.peers!;
    return new Promise((resolve, reject) => {
      const backend = new Socket();
      const reader = new MessageReader();
      let session: { response: string } | undefined;
      backend.on('error', reject);
      backend.connect(this.options.backend.port, this.options.backend.host, () =>
        backend.write(serialize.startup(parameters)),
      );
      const onData = async (chunk: Buffer): Promise<void> => {
        reader.push(chunk);
        for (let message = reader.next(); message; message = reader.next()) {
          if (message.type === 'E') return reject(new Error('backend login failed'));
          if (message.type !== 'R') continue;
          const kind = message.body.readInt32BE(0);
          if (kind === 0) {
            backend.off('data', onChunk);
            client.write(Buffer.concat([message.raw, reader.rest()]));
            client.pipe(backend).pipe(client);
            client.on('close', () => backend.destroy());
            backend.on('close', () => client.destroy());
            return resolve();
          }
          if (kind === 3) backend.write(serialize.password(password));
          if (kind === 10) {
            const mechanisms = message.body.subarray(4).toString('utf8').split('\0').filter(Boolean);
            session = sasl.startSession(mechanisms);
            backend.write(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', session.response));
          }
          if (kind === 11) {
            await sasl.continueSession(session, password, message.body.subarray(4).toString('utf8'));
            backend.write(serialize.sendSCRAMClientFinalMessage(session!.response));
          }
          if (kind === 12) sasl.finalizeSession(session, message.body.subarray(4).toString('utf8'));
        }
      };
      const onChunk = (chunk: Buffer) => void onData(chunk).catch(reject);
      backend.on('data', onChunk);
    });
  }
}

/** `20261122T190000Z` → epoch ms. */
function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map<number>(Number);
  return Date.UTC(y!, mo! - 1, d, h, mi, s);
}
