import { CredentialSourceError } from '../../errors/errors.js';
import { vaultMessages as messages } from './messages.js';

export interface VaultHttpOptions {
  address: string;
  namespace?: string;
  requestTimeoutMs: number;
}

/** Vault's answer to a refused call: `{"errors": [...]}` and the HTTP status, as a typed error. */
export class VaultRefusedError extends CredentialSourceError {}

/**
 * Calls Vault's HTTP API with Node's own `fetch`: JSON in and out, the token in `X-Vault-Token`, the
 * namespace in `X-Vault-Namespace`. A refusal becomes an error with the HTTP status and Vault's
 * `errors`; an unreachable Vault one with the network error's code. No error ever holds the token
 * or a request body.
 */
export class VaultHttp {
  constructor(private readonly options: VaultHttpOptions) {}

  get address(): string {
    return this.options.address;
  }

  async call<T>(
    operation: string,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    { token, body, timeoutMs }: { token?: string; body?: unknown; timeoutMs?: number } = {},
  ): Promise<T | undefined> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (this.options.namespace) headers['X-Vault-Namespace'] = this.options.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.options.address.replace(/\/+$/, '')}/v1/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      const code =
        typeof cause?.code === 'string'
          ? cause.code
          : error instanceof Error && error.name === 'TimeoutError'
            ? 'ETIMEDOUT'
            : 'EVAULTUNREACHABLE';
      throw new CredentialSourceError(messages.unreachable(operation, this.options.address, code), 'vault', { code });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new VaultRefusedError(messages.refused(operation, response.status, vaultErrors(text)), 'vault', {
        code: codeFor(response.status, text),
        httpStatus: response.status,
      });
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CredentialSourceError(messages.malformedAnswer(operation, 'a JSON body'), 'vault', {
        httpStatus: response.status,
      });
    }
  }
}

/** Vault's `errors` list, joined; a body that is not one is summarised by its length only (it could quote anything). */
function vaultErrors(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      const errors = parsed.errors.filter((error): error is string => typeof error === 'string');
      return errors.length > 0 ? errors.join('; ') : '(no error text)';
    }
  } catch {
    // not JSON: a proxy's page
  }
  return `(a ${text.length}-byte body that is not Vault's {"errors": [...]})`;
}

function codeFor(status: number, text: string): string {
  if (status === 503 && /sealed/i.test(text)) return 'VaultSealed';
  if (status === 403) return 'PermissionDenied';
  if (status === 429) return 'RateLimited';
  if (status >= 500) return 'VaultUnavailable';
  return 'VaultRequestRefused';
}

/** Vault answered, but without what the operation needs. */
export function vaultMalformed(operation: string, problem: string): CredentialSourceError {
  return new CredentialSourceError(messages.malformedAnswer(operation, problem), 'vault');
}
