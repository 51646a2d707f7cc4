import { createServer, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { LocalListener } from './local-listener.js';
import { importTestingPeer } from './optional-peer.js';
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

/** pg's internal SCRAM client (`pg/lib/crypto/sasl.js`), which ships no type declarations. */
export interface PgSasl {
  startSession(mechanisms: string[]): { response: string };
  continueSession(session: unknown, password: string, serverData: string): Promise<void>;
  finalizeSession(session: unknown, serverData: string): void;
}

/** What a front needs to log in behind a checked token: pg's wire messages and SCRAM client. */
export interface PgLoginPeers {
  serialize: typeof import('pg-protocol').serialize;
  sasl: PgSasl;
}

/** Loads pg-protocol (an optional peer of the testing kit) and pg's SCRAM client, naming `feature` when missing. */
export async function loadPgLoginPeers(feature: string): Promise<PgLoginPeers> {
  const [protocol, sasl] = await Promise.all([
    importTestingPeer('pg-protocol', feature, () => import('pg-protocol')),
    // @ts-expect-error -- internal module of pg without type declarations
    import('pg/lib/crypto/sasl.js') as Promise<PgSasl>,
  ]);
  return { serialize: protocol.serialize, sasl };
}

/** How a front refuses a login: SQLSTATE and message, as the service it stands in for says them. */
export interface TokenRefusal {
  code: string;
  message: string;
}

export interface PostgresTokenFrontOptions {
  /** The real PostgreSQL server. */
  backend: { host: string; port: number };
  /** The real password of each database user that logs in through the front. */
  backendPassword: (user: string) => string | undefined;
  /** Serve TLS (answer SSLRequest with 'S'); with `requireTls`, plain-text logins are refused. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  requireTls?: boolean;
  /**
   * Why `token` is not a password the service accepts for `user` now (the reason is counted in
   * `rejections`), or undefined when it is. Subclasses may override `checkToken` instead.
   */
  verify?: (token: string, user: string) => Promise<string | undefined> | string | undefined;
  /** The error a refused login gets. Default: 28P01 `password authentication failed for user "…"`. */
  refusal?: (user: string) => TokenRefusal;
  /** The testing kit's feature named when an optional peer is missing. Default `'PostgresTokenFront'`. */
  feature?: string;
}

/**
 * A PostgreSQL front whose password is a token: it asks for a cleartext password, has it checked
 * (`verify`), refuses a bad one with the service's error, and otherwise logs into the real server
 * as the same user with that user's real password and relays the session byte for byte. The
 * token emulators of the testing kit (RDS IAM, Aurora DSQL, Entra ID, Cloud SQL IAM) are fronts
 * with their own checks.
 */
export class PostgresTokenFront {
  accepted = 0;
  rejected = 0;
  /** Distinct tokens seen: how many times the client obtained one. */
  readonly tokens = new Set<string>();
  /** Why each rejected login was rejected, newest last. */
  readonly rejections: string[] = [];
  private readonly listener = new LocalListener(() => createServer((socket) => this.accept(socket)));
  private loginPeers?: PgLoginPeers;

  constructor(private readonly frontOptions: PostgresTokenFrontOptions) {}

  /** Listens on a free port of 127.0.0.1; after `stop()`, on the same port again (a database back at its address). */
  async start(): Promise<{ host: string; port: number }> {
    this.loginPeers ??= await loadPgLoginPeers(this.frontOptions.feature ?? 'PostgresTokenFront');
    await this.listener.start();
    return { host: '127.0.0.1', port: this.listener.port };
  }

  get port(): number {
    return this.listener.port;
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /** Why `token` is refused for `user`, or undefined when it logs in. */
  protected checkToken(token: string, user: string): Promise<string | undefined> | string | undefined {
    return this.frontOptions.verify ? this.frontOptions.verify(token, user) : 'no token check configured';
  }

  /** The error a refused login of `user` gets. */
  protected refusalFor(user: string): TokenRefusal {
    return (
      this.frontOptions.refusal?.(user) ?? {
        code: '28P01',
        message: `password authentication failed for user "${user}"`,
      }
    );
  }

  private accept(raw: Socket): void {
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
          const tls = this.frontOptions.tls;
          if (code === SSL_REQUEST_CODE && tls && !encrypted) {
            socket.write('S');
            socket.off('data', onData);
            const secure = new TLSSocket(socket, { isServer: true, key: tls.key, cert: tls.cert });
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
        if (this.frontOptions.requireTls && !encrypted) {
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
    const refusal = this.refusalFor(user);
    let problem: string | undefined;
    try {
      problem = await this.checkToken(token, user);
    } catch (error) {
      problem = `check failed: ${(error as Error).message}`;
    }
    if (problem) return this.refuse(client, refusal.message, refusal.code, problem);
    const password = this.frontOptions.backendPassword(user);
    if (password === undefined) return this.refuse(client, refusal.message, refusal.code, 'unknown user');
    try {
      await this.relay(client, parameters, password);
      this.accepted++;
    } catch (error) {
      this.refuse(client, `could not reach the database: ${(error as Error).message}`, '08006', 'backend', 'relay');
    }
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
    const { serialize, sasl } = this.loginPeers!;
    return new Promise((resolve, reject) => {
      const backend = new Socket();
      const reader = new MessageReader();
      let session: { response: string } | undefined;
      backend.on('error', reject);
      backend.connect(this.frontOptions.backend.port, this.frontOptions.backend.host, () =>
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
