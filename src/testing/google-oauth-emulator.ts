import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { decodeJwt, hasValidSignature } from './jwt.js';
import { LocalListener } from './local-listener.js';
import { PostgresTokenFront, type PostgresTokenFrontOptions } from './token-front.js';

/** Google's OAuth 2.0 token endpoint: service-account assertions are posted (and addressed) to it. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** The scope Cloud SQL IAM database authentication accepts (cloud-platform also does). */
export const CLOUD_SQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface GoogleOAuthEmulatorOptions {
  /** Lifetime of the access tokens issued, in ms. Default: an hour, as Google's are. */
  tokenLifetimeMs?: number;
  /** The emulator's clock. Default `Date.now`. */
  now?: () => number;
}

/** A service-account key file (JSON) as the Cloud console creates it, its `token_uri` the emulator. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  universe_domain: string;
}

interface IssuedToken {
  email: string;
  scopes: string[];
  expiresAt: number;
}

/**
 * A stand-in for Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant,
 * as `google-auth-library` uses it): it checks the assertion's RS256 signature against the keys it
 * issued (`addServiceAccount`), its `iss`, `aud`, `scope`, `iat` and `exp`, and answers with an
 * opaque access token (`ya29.…`), `expires_in` and `token_type`, or Google's `{ error,
 * error_description }`. It remembers each token, so that its Cloud SQL front can check them.
 *
 * `google-auth-library` posts service-account assertions to https://oauth2.googleapis.com/token
 * whatever the key's `token_uri` says: route that URL here with `fetch` (a gaxios
 * `fetchImplementation`, e.g. `new JWT({ …, transporterOptions: { fetchImplementation } })`).
 */
export class GoogleOAuthEmulator {
  /** Access tokens issued. */
  issued = 0;
  /** Token requests refused (unknown account, bad signature, wrong audience or scope, expired assertion). */
  refused = 0;
  /** Why each refused token request was refused, newest last. */
  readonly refusals: string[] = [];
  /** While set, the token endpoint answers 503 (an outage) instead of issuing tokens. */
  unavailable = false;
  private readonly keys = new Map<string, { email: string; publicKey: KeyObject }>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly listener = new LocalListener(() =>
    createServer((request, response) => this.handle(request, response)),
  );

  constructor(private readonly options: GoogleOAuthEmulatorOptions = {}) {}

  /** Serves HTTP on a free port of 127.0.0.1; after `stop()`, on the same port again. */
  async start(): Promise<{ tokenUri: string }> {
    await this.listener.start();
    return { tokenUri: this.tokenUri };
  }

  get tokenUri(): string {
    return `http://127.0.0.1:${this.listener.port}/token`;
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /**
   * A new service account `<name>@<project>.iam.gserviceaccount.com` and a key for it (a fresh RSA
   * key pair; the emulator keeps the public half), as the JSON key file holds it.
   */
  addServiceAccount(name: string, project = 'test-project'): ServiceAccountKey {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    const email = `${name}@${project}.iam.gserviceaccount.com`;
    this.keys.set(keyId, { email, publicKey });
    return {
      type: 'service_account',
      project_id: project,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: this.tokenUri,
      universe_domain: 'googleapis.com',
    };
  }

  /** Deletes a key of a service account (as `gcloud iam service-accounts keys delete` does): its assertions fail. */
  deleteKey(keyId: string): void {
    this.keys.delete(keyId);
  }

  /**
   * A `fetch` that sends requests for Google's token endpoint to this emulator and any other
   * request on its way: for `clientOptions: { transporterOptions: { fetchImplementation } }`.
   */
  readonly fetch = (
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): ReturnType<typeof fetch> => {
    const url = input instanceof Request ? input.url : String(input);
    return fetch(url === GOOGLE_TOKEN_URL ? this.tokenUri : input, init);
  };

  /** Why `token` is not an access token of this emulator valid now, or the service account and scopes it is for. */
  checkAccessToken(token: string): { problem: string } | { email: string; scopes: string[] } {
    const issued = this.tokens.get(token);
    if (!issued) return { problem: 'unknown token' };
    if (this.now() >= issued.expiresAt) return { problem: 'expired' };
    return { email: issued.email, scopes: issued.scopes };
  }

  /**
   * A PostgreSQL front standing in for a Cloud SQL instance with IAM database authentication: the
   * password must be an access token of this emulator, valid now, with the `sqlservice.login` (or
   * `cloud-platform`) scope, of the IAM principal the user names (for a service account, its email
   * without `.gserviceaccount.com`). A refused login gets 28P01
   * `Cloud SQL IAM service account authentication failed for user "…"`.
   */
  cloudSqlFront(options: Omit<PostgresTokenFrontOptions, 'verify' | 'refusal' | 'feature'>): PostgresTokenFront {
    return new PostgresTokenFront({
      ...options,
      feature: 'GoogleOAuthEmulator',
      refusal: (user) => ({
        code: '28P01',
        message: `Cloud SQL IAM ${user.includes('.iam') ? 'service account' : 'user'} authentication failed for user "${user}"`,
      }),
      verify: (token, user) => {
        const checked = this.checkAccessToken(token);
        if ('problem' in checked) return checked.problem;
        if (!checked.scopes.some((scope) => scope === CLOUD_SQL_LOGIN_SCOPE || scope === CLOUD_PLATFORM_SCOPE))
          return 'scope lacks sqlservice.login';
        return checked.email.replace(/\.gserviceaccount\.com$/, '') === user ? undefined : 'token of another principal';
      },
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== 'POST' || new URL(request.url ?? '/', this.tokenUri).pathname !== '/token') {
      return json(response, 404, { error: 'not_found', error_description: 'Not Found' });
    }
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => this.token(new URLSearchParams(body), response));
  }

  private token(form: URLSearchParams, response: ServerResponse): void {
    if (this.unavailable)
      return json(response, 503, { error: 'unavailable', error_description: 'Service Unavailable' });
    const refuse = (error: string, description: string, reason = description) => {
      this.refused++;
      this.refusals.push(reason);
      json(response, 400, { error, error_description: description });
    };
    if (form.get('grant_type') !== JWT_BEARER) return refuse('unsupported_grant_type', 'Invalid grant_type.');
    const assertion = form.get('assertion') ?? '';
    const decoded = decodeJwt(assertion);
    if (!decoded)
      return refuse(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.',
        'not a JWT',
      );
    const { claims, header } = decoded;
    // google-auth-library names no key id in its assertions: any key of the account may have signed.
    const accountKeys = [...this.keys.entries()].filter(
      ([keyId, key]) => key.email === claims.iss && (header.kid === undefined || header.kid === keyId),
    );
    if (accountKeys.length === 0) return refuse('invalid_grant', 'Invalid grant: account not found', 'unknown account');
    if (!accountKeys.some(([, key]) => hasValidSignature(assertion, key.publicKey)))
      return refuse('invalid_grant', 'Invalid JWT Signature.', 'bad signature');
    if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== this.tokenUri)
      return refuse('invalid_grant', 'Invalid JWT: Failed audience check.', 'wrong audience');
    const now = Math.floor(this.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(exp > now && iat <= now + 300 && exp - iat <= 3600))
      return refuse(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
        'assertion expired',
      );
    const scopes = (typeof claims.scope === 'string' ? claims.scope : '').split(' ').filter(Boolean);
    if (scopes.length === 0)
      return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.', 'no scope');
    const lifetimeMs = this.options.tokenLifetimeMs ?? 3_600_000;
    const accessToken = `ya29.${randomBytes(48).toString('base64url')}`;
    this.tokens.set(accessToken, { email: String(claims.iss), scopes, expiresAt: this.now() + lifetimeMs });
    this.issued++;
    json(response, 200, {
      access_token: accessToken,
      expires_in: Math.max(1, Math.floor(lifetimeMs / 1000)),
      token_type: 'Bearer',
    });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID() });
  response.end(JSON.stringify(body));
}
