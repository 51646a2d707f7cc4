import { describeValue } from '../../errors/messages.js';

/**
 * The Vault source's sentences: one catalogue per area (see errors/messages.ts for the rule). They
 * name the address, mount, role and lease, never a token, secret_id, JWT or password.
 */
export const vaultMessages = {
  addressRequired: (envName: string) => `Vault's address, e.g. "https://vault.example.com:8200" (or set ${envName})`,
  notAnAddress: (value: unknown) =>
    `${describeValue(value)} is not an http(s) URL; write Vault's address, e.g. "https://vault.example.com:8200"`,
  plaintextAddress: (allowKey: string) =>
    `is plain http to a host that is not this machine: the Vault token and the database password would cross the network in clear. Use https, or set ${allowKey}: true to accept that`,
  noRole: (roleKey: string, staticRoleKey: string, kvKey: string) =>
    `no Vault role: set ${roleKey} (dynamic credentials, a new user per lease) or ${staticRoleKey} (a static role), or ${kvKey} for a KV v2 secret`,
  bothRoles: (roleKey: string, staticRoleKey: string) => `${roleKey} and ${staticRoleKey} are both set; choose one`,
  noAuth: (keys: readonly string[], envName: string) => `no Vault auth: set one of ${keys.join(', ')} (or ${envName})`,
  manyAuths: (keys: readonly string[]) => `${keys.join(' and ')} are both set; choose one Vault auth method`,
  empty: (what: string) => `is empty: ${what}`,
  leaseIncrementForStatic: (staticRoleKey: string) =>
    `applies to dynamic roles only; a static role (${staticRoleKey}) has no lease to renew`,
  describeLease: (username: string, address: string, path: string, until?: string) =>
    `leased user ${username} from Vault ${address} (${path})${until ? `, lease ends ${until}` : ''}`,
  describeStatic: (username: string, address: string, path: string) =>
    `read static role user ${username} from Vault ${address} (${path})`,
  fix: 'Check the Vault address, that Vault is unsealed, the auth method (token, AppRole or Kubernetes), and that its policy allows read on <mount>/creds/<role> (or static-creds) and update on sys/leases/renew and sys/leases/revoke, or, for a KV secret, read on <kv mount>/data/<path>.',
  kvPathRequired: 'the path of the KV v2 secret under its mount, e.g. "db/app"',
  kvWithRole: (kvKey: string, roleKey: string) =>
    `${kvKey} and ${roleKey} are both set; choose one: a KV v2 secret, or the database secrets engine`,
  kvPathWithData: (path: string) =>
    `"${path}" starts with "data/": write the path as \`vault kv get -mount=<mount> <path>\` takes it (e.g. "db/app"); the /data/ of the API is added for you`,
  kvDatabaseEngineOnly: (kvKey: string) =>
    `applies to the database secrets engine only; with ${kvKey} set the KV mount in ${kvKey}.mount`,
  describeKv: (username: string, address: string, path: string, version: string | undefined) =>
    `read user ${username} from Vault ${address} KV v2 secret ${path} (${version ?? 'version ?'})`,
  kvNotFound: (path: string, mount: string, secretPath: string) =>
    `Vault KV read failed: no secret at ${path} (HTTP 404); write one with \`vault kv put -mount=${mount} ${secretPath} username=… password=…\`, or check vault.kv.mount and vault.kv.path`,
  kvMissingKeys: (path: string, version: string, keys: readonly string[]) =>
    `Vault KV secret ${path} (${version}) has no string ${keys.map((key) => `"${key}"`).join(' and ')} key; write it into the secret, or name the secret's keys with vault.kv.usernameKey / vault.kv.passwordKey`,
  unreachable: (operation: string, address: string, reason: string) =>
    `Vault ${operation} failed: ${address} did not answer (${reason})`,
  refused: (operation: string, status: number, errors: string) =>
    `Vault ${operation} failed: HTTP ${status}: ${errors}`,
  malformedAnswer: (operation: string, problem: string) => `Vault ${operation} answered without ${problem}`,
  jwtUnreadable: (path: string, code: string) =>
    `cannot read the Kubernetes service account token at ${path} (${code}); set vault.kubernetes.tokenPath`,
} as const;
