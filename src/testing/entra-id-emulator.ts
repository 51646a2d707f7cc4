import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { decodeJwt, hasValidSignature, signJwt } from './jwt.js';
import { LocalListener } from './local-listener.js';
import { PostgresTokenFront, type PostgresTokenFrontOptions } from './token-front.js';

/** The resource of Azure Database for PostgreSQL: tokens for it carry this audience. */
export const AZURE_POSTGRES_RESOURCE = 'https://ossrdbms-aad.database.windows.net';

export interface EntraIdEmulatorOptions {
  /** Certificate the authority serves (MSAL speaks to an authority over HTTPS only); see `testCertificate()`. */
  tls: { key: string | Buffer; cert: string | Buffer };
  /** Directory (tenant) id. Default: a random UUID. */
  tenantId?: string;
  /** Lifetime of the access tokens issued, in ms. Default: an hour, as Entra ID's are (60 to 90 minutes). */
  tokenLifetimeMs?: number;
  /** The emulator's clock. Default `Date.now`. */
  now?: () => number;
}

/** An application (service principal) registered in the emulated tenant. */
export interface EntraIdClient {
  clientId: string;
  clientSecret: string;
  /** Its object id: the `oid` claim, which Azure Database for PostgreSQL maps a role to. */
  objectId: string;
  /** The name of the database role created for it (`pgaadauth_create_principal`). */
  principalName: string;
}

interface RegisteredClient extends EntraIdClient {
  claims: Record<string, unknown>;
}

/**
 * A stand-in for Microsoft Entra ID's v2.0 endpoints of one tenant, enough for `@azure/identity`
 * (MSAL) to obtain tokens unchanged: the OpenID discovery document at
 * `/<tenant>/v2.0/.well-known/openid-configuration`, the token endpoint
 * `/<tenant>/oauth2/v2.0/token` (client credentials with a client secret), and the signing keys.
 * Access tokens are RS256 JWTs signed by the emulator, with the claims Entra ID puts in one for
 * Azure Database for PostgreSQL (`aud`, `iss`, `tid`, `oid`, `appid`, `exp`…). Give credentials
 * `authorityHost` and `disableInstanceDiscovery: true`, and trust its certificate.
 */
export class EntraIdEmulator {
  readonly tenantId: string;
  /** Access tokens issued. */
  issued = 0;
  /** Token requests refused (unknown client, wrong secret, wrong scope or grant). */
  refused = 0;
  /** While set, the token endpoint answers 503 with `Retry-After: 1` (an outage) instead of issuing tokens. */
  unavailable = false;
  private readonly signingKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId = randomUUID();
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly listener = new LocalListener(() =>
    createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (request, response) =>
      this.handle(request, response),
    ),
  );

  constructor(private readonly options: EntraIdEmulatorOptions) {
    this.tenantId = options.tenantId ?? randomUUID();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = privateKey;
    this.publicKey = publicKey;
  }

  /**
   * Registers an application with a client secret; `principalName` is the database role mapped to it.
   * `claims` are added to its tokens (e.g. `upn` or `xms_mirid`, to emulate a user or a managed identity).
   */
  addClient(principalName: string, claims: Record<string, unknown> = {}): EntraIdClient {
    const client: RegisteredClient = {
      clientId: randomUUID(),
      clientSecret: randomBytes(24).toString('base64url'),
      objectId: randomUUID(),
      principalName,
      claims,
    };
    this.clients.set(client.clientId, client);
    return { ...client };
  }

  /** Serves HTTPS on a free port of 127.0.0.1; after `stop()`, on the same port again. */
  async start(): Promise<{ authorityHost: string }> {
    await this.listener.start();
    return { authorityHost: this.authorityHost };
  }

  /** For `authorityHost` of `@azure/identity` credentials. */
  get authorityHost(): string {
    return `https://127.0.0.1:${this.listener.port}`;
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /** The `iss` of its access tokens, as Entra ID writes it in v1.0 tokens for Azure Database for PostgreSQL. */
  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  /**
   * Why `token` is not an access token of this tenant for `audience`, valid now, or undefined when it is;
   * with the principal it was issued to.
   */
  checkAccessToken(
    token: string,
    audience = AZURE_POSTGRES_RESOURCE,
  ): { problem: string } | { principalName: string; claims: Record<string, unknown> } {
    const decoded = decodeJwt(token);
    if (!decoded) return { problem: 'not a JWT' };
    if (!hasValidSignature(token, this.publicKey)) return { problem: 'bad signature' };
    const { claims } = decoded;
    if (claims.iss !== this.issuer || claims.tid !== this.tenantId) return { problem: 'wrong issuer' };
    if (claims.aud !== audience) return { problem: 'wrong audience' };
    const now = this.now();
    if (typeof claims.exp !== 'number' || now >= claims.exp * 1000) return { problem: 'expired' };
    if (typeof claims.nbf === 'number' && now < claims.nbf * 1000) return { problem: 'not yet valid' };
    const client = [...this.clients.values()].find((candidate) => candidate.objectId === claims.oid);
    if (!client) return { problem: 'unknown principal' };
    return { principalName: client.principalName, claims };
  }

  /**
   * A PostgreSQL front standing in for Azure Database for PostgreSQL with Entra ID authentication:
   * the password must be an access token of this tenant for its resource, valid now, issued to the
   * principal the role is mapped to; a refused login gets 28P01
   * `password authentication failed for user "…"`, as the server answers.
   */
  postgresFront(options: Omit<PostgresTokenFrontOptions, 'verify' | 'refusal' | 'feature'>): PostgresTokenFront {
    return new PostgresTokenFront({
      ...options,
      feature: 'EntraIdEmulator',
      verify: (token, user) => {
        const checked = this.checkAccessToken(token);
        if ('problem' in checked) return checked.problem;
        return checked.principalName === user ? undefined : 'token of another principal';
      },
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.authorityHost);
    const tenantPath = `/${this.tenantId}`;
    if (request.method === 'GET' && url.pathname === `${tenantPath}/v2.0/.well-known/openid-configuration`) {
      return json(response, 200, this.discovery());
    }
    if (request.method === 'GET' && url.pathname === `${tenantPath}/discovery/v2.0/keys`) {
      const jwk = this.publicKey.export({ format: 'jwk' });
      return json(response, 200, { keys: [{ ...jwk, kid: this.keyId, use: 'sig', alg: 'RS256' }] });
    }
    if (request.method === 'POST' && url.pathname === `${tenantPath}/oauth2/v2.0/token`) {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => this.token(new URLSearchParams(body), response));
      return;
    }
    json(response, 404, aadError('invalid_request', 'AADSTS90002', `No endpoint ${url.pathname} for this tenant.`));
  }

  private discovery(): Record<string, unknown> {
    const base = `${this.authorityHost}/${this.tenantId}`;
    return {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    };
  }

  private token(form: URLSearchParams, response: ServerResponse): void {
    if (this.unavailable) {
      // MSAL stops asking for Retry-After seconds after a 5xx (60 s when the header is missing).
      response.setHeader('retry-after', '1');
      return json(response, 503, aadError('temporarily_unavailable', 'AADSTS90033', 'The service is unavailable.'));
    }
    const refuse = (status: number, error: string, code: string, description: string) => {
      this.refused++;
      json(response, status, aadError(error, code, description));
    };
    if (form.get('grant_type') !== 'client_credentials') {
      return refuse(400, 'unsupported_grant_type', 'AADSTS70003', 'The app requested an unsupported grant type.');
    }
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client) {
      return refuse(400, 'unauthorized_client', 'AADSTS700016', 'Application not found in the directory.');
    }
    if (form.get('client_secret') !== client.clientSecret) {
      return refuse(401, 'invalid_client', 'AADSTS7000215', 'Invalid client secret provided.');
    }
    const scopes = (form.get('scope') ?? '').split(' ');
    const resource = scopes.find((scope) => scope.endsWith('/.default'))?.slice(0, -'/.default'.length);
    if (resource !== AZURE_POSTGRES_RESOURCE) {
      return refuse(400, 'invalid_scope', 'AADSTS500011', `The resource principal ${resource} was not found.`);
    }
    const now = this.now();
    const issuedAt = Math.floor(now / 1000);
    const lifetime = Math.max(1, Math.round((this.options.tokenLifetimeMs ?? 3_600_000) / 1000));
    // Claims count whole seconds: rounded up, a token never ends before the client (which adds expires_in to the time
    // it sent the request) expects it to.
    const claims = {
      aud: resource,
      iss: this.issuer,
      iat: issuedAt,
      nbf: issuedAt,
      exp: Math.ceil(now / 1000) + lifetime,
      appid: client.clientId,
      appidacr: '1',
      idp: this.issuer,
      oid: client.objectId,
      sub: client.objectId,
      tid: this.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      ...client.claims,
    };
    this.issued++;
    json(response, 200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: signJwt(claims, this.signingKey, this.keyId),
    });
  }
}

function aadError(error: string, code: string, description: string): Record<string, unknown> {
  return {
    error,
    error_description: `${code}: ${description}`,
    error_codes: [Number(code.slice('AADSTS'.length))],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
