import { timingSafeEqual } from 'node:crypto';
import { type IamProxyPeers, loadIamProxyPeers } from './iam-proxy-peers.js';
import { PostgresTokenFront, type TokenRefusal } from './token-front.js';

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
 * session byte for byte (a PostgresTokenFront with SigV4 checks).
 */
export class RdsIamProxy extends PostgresTokenFront {
  /** Optional peers of the testing kit, loaded by start(). */
  private peers?: IamProxyPeers;

  constructor(private readonly options: RdsIamProxyOptions) {
    super({ ...options, feature: 'RdsIamProxy' });
  }

  /** Listens on a free port of 127.0.0.1; after `stop()`, on the same port again (a database back at its address). */
  override async start(): Promise<{ host: string; port: number }> {
    this.peers ??= await loadIamProxyPeers();
    return super.start();
  }

  protected override checkToken(token: string, user: string): Promise<string | undefined> {
    return this.verify(token, user);
  }

  protected override refusalFor(user: string): TokenRefusal {
    return { code: '28000', message: `${SERVICES[this.service].refusal} "${user}"` };
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
    const port = this.options.signingPort ?? this.port;
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
}

/** `20261122T190000Z` → epoch ms. */
function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map<number>(Number);
  return Date.UTC(y!, mo! - 1, d, h, mi, s);
}
