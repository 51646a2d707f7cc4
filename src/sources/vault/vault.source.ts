import { z } from 'zod';
import { type Duration, parseDuration } from '../../common/duration.js';
import { durationSchema } from '../../common/duration.schema.js';
import { isRecord, stringOr } from '../../common/option-checker.js';
import { messages } from '../../errors/messages.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { vaultMessages } from './messages.js';
import {
  DEFAULT_APPROLE_MOUNT,
  DEFAULT_KUBERNETES_MOUNT,
  DEFAULT_KUBERNETES_TOKEN_PATH,
  DEFAULT_VAULT_KV_MOUNT,
  DEFAULT_VAULT_KV_PASSWORD_KEY,
  DEFAULT_VAULT_KV_REFRESH_INTERVAL,
  DEFAULT_VAULT_KV_USERNAME_KEY,
  DEFAULT_VAULT_MOUNT,
  DEFAULT_VAULT_REQUEST_TIMEOUT,
  VAULT_ENV,
} from './vault.defaults.js';
import { VaultCredentialProvider } from './vault.provider.js';
import { kvApiPath, VaultKvCredentialProvider, type VaultKvSecret } from './vault-kv.provider.js';
import type { VaultAuth } from './vault-login.js';

/** Log in to Vault with AppRole (`POST auth/<mount>/login`). */
export interface VaultAppRoleOptions {
  /** The AppRole's role_id. Required. */
  roleId: string;
  /** A secret_id of that role. Required. */
  secretId: string;
  /** Where the AppRole auth method is mounted. Default `'approle'`. */
  mount?: string;
}

/** Log in to Vault with the pod's Kubernetes service account (`POST auth/<mount>/login`). */
export interface VaultKubernetesOptions {
  /** The Vault role bound to the service account. Required. */
  role: string;
  /**
   * The service account token (a JWT), read at each login.
   * Default `'/var/run/secrets/kubernetes.io/serviceaccount/token'`.
   */
  tokenPath?: string;
  /** Where the Kubernetes auth method is mounted. Default `'kubernetes'`. */
  mount?: string;
}

/**
 * A KV v2 secret (`GET <mount>/data/<path>`) holding the database user and password, rotated by
 * something else that writes a new version (a pipeline, a script).
 */
export interface VaultKvOptions {
  /** Where the KV v2 secrets engine is mounted. Default `'secret'`, as `vault server -dev` mounts it. */
  mount?: string;
  /** The secret's path under the mount, as `vault kv get -mount=<mount> <path>` takes it: `'db/app'`. Required. */
  path: string;
  /**
   * The secret's key holding the database user. Default `'username'`. A secret without it is read as
   * holding only a password: the user is then the connection's `user` (or the dsn's).
   */
  usernameKey?: string;
  /** The secret's key holding the password. Default `'password'`. */
  passwordKey?: string;
  /** How often to re-read the secret even without a refused login. Default `'5m'`. */
  refreshInterval?: Duration;
}

/**
 * Database credentials from HashiCorp Vault or OpenBao's database secrets engine, or from a KV v2
 * secret. With `role`, each lease is a new database user: the lease is renewed before it ends, new credentials are read
 * before its max TTL, and the pool closes every session of a user before its lease ends. With
 * `staticRole`, the user stays and Vault rotates its password. With `kv`, a KV v2 secret holds the
 * user and password and something else rotates them. Exactly one of `role`, `staticRole` and `kv`; at
 * most one of `token`, `appRole` and `kubernetes`.
 */
export interface VaultOptions {
  /**
   * Vault's address, e.g. `'https://vault.example.com:8200'`. Required, unless the `VAULT_ADDR`
   * environment variable holds it.
   */
  address?: string;
  /** Vault Enterprise / OpenBao namespace, sent as `X-Vault-Namespace`. Default: `VAULT_NAMESPACE`, else none. */
  namespace?: string;
  /** Where the database secrets engine is mounted (not with `kv`: see `kv.mount`). Default `'database'`. */
  mount?: string;
  /** Dynamic role: reads `<mount>/creds/<role>`, a new user per lease. Set this or `staticRole`. */
  role?: string;
  /**
   * Static role: reads `<mount>/static-creds/<staticRole>`, one user whose password Vault rotates.
   * Set this or `role`.
   */
  staticRole?: string;
  /** A KV v2 secret holding the user and password, instead of the database secrets engine. */
  kv?: VaultKvOptions;
  /**
   * A Vault token; renewed while renewable. Default: the `VAULT_TOKEN` environment variable, when
   * neither `appRole` nor `kubernetes` is set.
   */
  token?: string;
  /** Log in with AppRole instead of a token. */
  appRole?: VaultAppRoleOptions;
  /** Log in with the pod's Kubernetes service account instead of a token. */
  kubernetes?: VaultKubernetesOptions;
  /** How much each lease renewal asks for (`role` only). Default: the lease's own duration (role's `default_ttl`). */
  leaseIncrement?: Duration;
  /**
   * Revoke the leases this process holds at shutdown, after the pool has closed its sessions
   * (Vault drops their users). Not with `kv` (a KV secret has no lease). Default `true`.
   */
  revokeOnShutdown?: boolean;
  /** How long one call to Vault may take. Default `'10s'`. */
  requestTimeout?: Duration;
  /**
   * Accept an `http://` address of a host that is not this machine (the token would cross the
   * network in clear). Default `false`.
   */
  allowPlaintext?: boolean;
}

export interface VaultSourceOptions {
  /** HashiCorp Vault / OpenBao database credentials as the credential source. */
  vault?: VaultOptions;
}

export interface VaultSource {
  kind: 'vault';
  address: string;
  namespace?: string;
  mount: string;
  role?: string;
  staticRole?: string;
  auth: VaultAuth;
  leaseIncrementMs?: number;
  revokeOnShutdown: boolean;
  requestTimeoutMs: number;
  kv?: ResolvedVaultKv;
}

/** The resolved `vault.kv` options: exactly what the KV provider reads. */
export type ResolvedVaultKv = VaultKvSecret;

const appRoleSchema = z.strictObject({
  roleId: z.string({ error: sourceMessages.required("the AppRole's role_id") }),
  secretId: z.string({ error: sourceMessages.required('a secret_id of the AppRole') }),
  mount: z.string().optional(),
});

const kubernetesSchema = z.strictObject({
  role: z.string({ error: sourceMessages.required('the Vault role bound to the service account') }),
  tokenPath: z.string().optional(),
  mount: z.string().optional(),
});

const notEmpty = (what: string) => z.string().min(1, { error: vaultMessages.empty(what) });

const kvSchema = z.strictObject({
  mount: notEmpty('where the KV v2 secrets engine is mounted').optional(),
  path: z
    .string({ error: sourceMessages.required(vaultMessages.kvPathRequired) })
    .min(1, { error: sourceMessages.required(vaultMessages.kvPathRequired) })
    .refine((path) => !/^\/*data\//.test(path), {
      error: (issue) => vaultMessages.kvPathWithData(String(issue.input)),
    }),
  usernameKey: notEmpty("the name of the secret's key holding the user").optional(),
  passwordKey: notEmpty("the name of the secret's key holding the password").optional(),
  refreshInterval: durationSchema
    .refine((value) => (parseDuration(value) ?? 0) > 0, { error: (issue) => messages.notPositive(issue.input) })
    .optional(),
});

const vaultSchema = z.strictObject({
  address: z.string().optional(),
  namespace: z.string().optional(),
  mount: z.string().optional(),
  role: z.string().optional(),
  staticRole: z.string().optional(),
  token: z.string().optional(),
  appRole: appRoleSchema.optional(),
  kubernetes: kubernetesSchema.optional(),
  leaseIncrement: durationSchema.optional(),
  revokeOnShutdown: z.boolean().optional(),
  requestTimeout: durationSchema.optional(),
  allowPlaintext: z.boolean().optional(),
  kv: kvSchema.optional(),
});

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** HashiCorp Vault / OpenBao: dynamic (a user per lease) or static-role database credentials. */
export const vaultSource = {
  kind: 'vault',
  optionKey: ['vault'],
  shape: { vault: vaultSchema.optional() },
  chosenBy: (raw) => (isRecord(raw.vault) ? ['vault'] : undefined),
  resolve(raw, facts, check) {
    const vault = raw.vault as Record<string, unknown>;
    const env = process.env;
    let valid = true;
    const fail = (...args: Parameters<typeof check.fail>) => {
      valid = false;
      check.fail(...args);
    };

    const address = stringOr(vault.address, stringOr(env[VAULT_ENV.address], undefined));
    let url: URL | undefined;
    if (address === undefined) {
      fail(['vault', 'address'], sourceMessages.required(vaultMessages.addressRequired(VAULT_ENV.address)));
    } else {
      url = URL.canParse(address) ? new URL(address) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        fail(['vault', 'address'], vaultMessages.notAnAddress(address));
      else if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname) && vault.allowPlaintext !== true)
        fail(['vault', 'address'], vaultMessages.plaintextAddress(check.nameOf(['vault', 'allowPlaintext'])));
    }

    const role = typeof vault.role === 'string' ? vault.role : undefined;
    const staticRole = typeof vault.staticRole === 'string' ? vault.staticRole : undefined;
    const roleKeys = [check.nameOf(['vault', 'role']), check.nameOf(['vault', 'staticRole'])] as const;
    const kvKey = check.nameOf(['vault', 'kv']);
    const kv = resolveKv(vault.kv, facts.user);
    if (vault.kv !== undefined) {
      // A KV secret instead of the database secrets engine: none of the engine's keys apply.
      const engineKeys = (['role', 'staticRole'] as const).filter((key) => vault[key] !== undefined);
      for (const key of engineKeys) fail(['vault'], vaultMessages.kvWithRole(kvKey, check.nameOf(['vault', key])));
      for (const key of ['mount', 'leaseIncrement', 'revokeOnShutdown'] as const)
        if (vault[key] !== undefined) fail(['vault', key], vaultMessages.kvDatabaseEngineOnly(kvKey));
    } else if (role === undefined && staticRole === undefined)
      fail(['vault', 'role'], vaultMessages.noRole(...roleKeys, kvKey));
    else if (role !== undefined && staticRole !== undefined) fail(['vault'], vaultMessages.bothRoles(...roleKeys));
    else if (role === '') fail(['vault', 'role'], vaultMessages.empty('the name of a dynamic role'));
    else if (staticRole === '') fail(['vault', 'staticRole'], vaultMessages.empty('the name of a static role'));
    if (vault.mount === '')
      fail(['vault', 'mount'], vaultMessages.empty('where the database secrets engine is mounted'));

    const leaseIncrementMs = check.positiveDuration(['vault', 'leaseIncrement'], undefined);
    if (staticRole !== undefined && vault.leaseIncrement !== undefined)
      fail(['vault', 'leaseIncrement'], vaultMessages.leaseIncrementForStatic(roleKeys[1]));
    const requestTimeoutMs = check.positiveDuration(['vault', 'requestTimeout'], DEFAULT_VAULT_REQUEST_TIMEOUT);

    const auth = resolveAuth(vault, env[VAULT_ENV.token], check, fail);
    if (!valid || !auth || !url || requestTimeoutMs === undefined || (vault.kv !== undefined && !kv)) return undefined;
    return {
      kind: 'vault',
      address: url.origin + url.pathname.replace(/\/+$/, ''),
      namespace: stringOr(vault.namespace, stringOr(env[VAULT_ENV.namespace], undefined)),
      mount: stringOr(vault.mount, DEFAULT_VAULT_MOUNT).replace(/^\/+|\/+$/g, ''),
      role,
      staticRole,
      auth,
      leaseIncrementMs,
      revokeOnShutdown: vault.revokeOnShutdown !== false,
      requestTimeoutMs,
      kv,
    };
  },
  createProvider: (resolved) =>
    resolved.kv
      ? new VaultKvCredentialProvider({ ...resolved, ...resolved.kv })
      : new VaultCredentialProvider(resolved),
  describe: (resolved, credentials) =>
    resolved.kv
      ? vaultMessages.describeKv(
          credentials.username,
          resolved.address,
          kvApiPath(resolved.kv.kvMount, resolved.kv.kvPath),
          credentials.version,
        )
      : resolved.staticRole !== undefined
        ? vaultMessages.describeStatic(
            credentials.username,
            resolved.address,
            `${resolved.mount}/static-creds/${resolved.staticRole}`,
          )
        : vaultMessages.describeLease(
            credentials.username,
            resolved.address,
            `${resolved.mount}/creds/${resolved.role!}`,
            credentials.expiresAt?.toISOString(),
          ),
  fix: vaultMessages.fix,
} satisfies CredentialSource<VaultSource, VaultSourceOptions>;

type Check = Parameters<(typeof vaultSource)['resolve']>[2];

/** `vault.kv` with its defaults; the schema has reported whatever is wrong in it. */
function resolveKv(kv: unknown, connectionUser: string | undefined): ResolvedVaultKv | undefined {
  if (!isRecord(kv) || typeof kv.path !== 'string') return undefined;
  const refreshIntervalMs = parseDuration(
    (kv.refreshInterval as Duration | undefined) ?? DEFAULT_VAULT_KV_REFRESH_INTERVAL,
  );
  if (refreshIntervalMs === undefined) return undefined;
  return {
    kvMount: stringOr(kv.mount, DEFAULT_VAULT_KV_MOUNT).replace(/^\/+|\/+$/g, ''),
    kvPath: kv.path.replace(/^\/+|\/+$/g, ''),
    usernameKey: stringOr(kv.usernameKey, DEFAULT_VAULT_KV_USERNAME_KEY),
    passwordKey: stringOr(kv.passwordKey, DEFAULT_VAULT_KV_PASSWORD_KEY),
    defaultUsername: connectionUser,
    refreshIntervalMs,
  };
}

/** Exactly one auth method: `token`, `appRole` or `kubernetes`, else `VAULT_TOKEN`. */
function resolveAuth(
  vault: Record<string, unknown>,
  envToken: string | undefined,
  check: Check,
  fail: Check['fail'],
): VaultAuth | undefined {
  const given = (['token', 'appRole', 'kubernetes'] as const).filter((key) => vault[key] !== undefined);
  if (given.length > 1) {
    fail(['vault'], vaultMessages.manyAuths(given.map((key) => check.nameOf(['vault', key]))));
    return undefined;
  }
  const appRole = vault.appRole;
  if (isRecord(appRole)) {
    if (appRole.roleId === '' || appRole.secretId === '' || appRole.mount === '') {
      fail(['vault', 'appRole'], vaultMessages.empty('roleId, secretId and mount must not be empty'));
      return undefined;
    }
    if (typeof appRole.roleId !== 'string' || typeof appRole.secretId !== 'string') return undefined;
    return {
      method: 'appRole',
      roleId: appRole.roleId,
      secretId: appRole.secretId,
      mount: stringOr(appRole.mount, DEFAULT_APPROLE_MOUNT),
    };
  }
  const kubernetes = vault.kubernetes;
  if (isRecord(kubernetes)) {
    if (kubernetes.role === '' || kubernetes.tokenPath === '' || kubernetes.mount === '') {
      fail(['vault', 'kubernetes'], vaultMessages.empty('role, tokenPath and mount must not be empty'));
      return undefined;
    }
    if (typeof kubernetes.role !== 'string') return undefined;
    return {
      method: 'kubernetes',
      role: kubernetes.role,
      tokenPath: stringOr(kubernetes.tokenPath, DEFAULT_KUBERNETES_TOKEN_PATH),
      mount: stringOr(kubernetes.mount, DEFAULT_KUBERNETES_MOUNT),
    };
  }
  const token = stringOr(vault.token, stringOr(envToken, undefined));
  if (token === undefined) {
    const keys = (['token', 'appRole', 'kubernetes'] as const).map((key) => check.nameOf(['vault', key]));
    fail(['vault', 'token'], vaultMessages.noAuth(keys, VAULT_ENV.token));
    return undefined;
  }
  return { method: 'token', token };
}
