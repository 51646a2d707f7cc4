import { createSign, createVerify, type KeyObject } from 'node:crypto';

/** A JSON Web Token's header and claims, signature not yet checked. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` as a compact RS256 JWT (RFC 7515/7519), as identity providers sign access tokens. */
export function signJwt(claims: Record<string, unknown>, key: KeyObject | string, keyId?: string): string {
  const input = `${base64url({ alg: 'RS256', typ: 'JWT', ...(keyId ? { kid: keyId } : {}) })}.${base64url(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

/** The header and claims of a compact JWT, or undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [header, claims] = parts
      .slice(0, 2)
      .map((part): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return isObject(header) && isObject(claims) ? { header, claims } : undefined;
  } catch {
    return undefined;
  }
}

/** True when `token` is an RS256 JWT whose signature `key` verifies. */
export function hasValidSignature(token: string, key: KeyObject | string): boolean {
  const decoded = decodeJwt(token);
  if (decoded?.header.alg !== 'RS256') return false;
  const cut = token.lastIndexOf('.');
  return createVerify('RSA-SHA256')
    .update(token.slice(0, cut))
    .verify(key, Buffer.from(token.slice(cut + 1), 'base64url'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
