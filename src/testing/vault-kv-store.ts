/** One version of a KV v2 secret, as `data.metadata` shows it. */
export interface VaultKvVersion {
  version: number;
  createdTime: string;
  data: Record<string, unknown>;
}

/** A refusal of the KV v2 API: the HTTP status and the text of Vault's `errors`. */
export class VaultKvRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One KV v2 secrets engine mount, as Vault's versioned key/value store answers `GET` and `POST
 * <mount>/data/<path>`: each write is a new version numbered from 1, a read gives the newest (or
 * `?version=N`), `options.cas` makes a write conditional on the current version (0: only if the
 * secret does not exist yet). Every version is kept.
 */
export class VaultKvStore {
  private readonly secrets = new Map<string, VaultKvVersion[]>();

  /** `data.data` and `data.metadata` of the newest version, or of `version`; 404 without `errors` text, as Vault. */
  read(path: string, version?: number) {
    const versions = this.secrets.get(path) ?? [];
    const found = version === undefined ? versions.at(-1) : versions.find((entry) => entry.version === version);
    if (!found) throw new VaultKvRefusal(404, '');
    return { data: structuredClone(found.data), metadata: metadataOf(found) };
  }

  /** Writes a new version; `cas` as Vault's `options.cas`. Answers with the new version's metadata. */
  write(path: string, body: Record<string, unknown>) {
    const data = body.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new VaultKvRefusal(400, 'no data provided');
    const versions = this.secrets.get(path) ?? [];
    const cas = (body.options as { cas?: unknown } | undefined)?.cas;
    const current = versions.at(-1)?.version ?? 0;
    if (typeof cas === 'number' && cas !== current)
      throw new VaultKvRefusal(400, 'check-and-set parameter did not match the current version');
    const entry: VaultKvVersion = {
      version: current + 1,
      createdTime: new Date().toISOString(),
      data: structuredClone(data as Record<string, unknown>),
    };
    versions.push(entry);
    this.secrets.set(path, versions);
    return metadataOf(entry);
  }

  /** The number of the newest version of `path`, 0 when there is none. */
  currentVersion(path: string): number {
    return this.secrets.get(path)?.at(-1)?.version ?? 0;
  }
}

function metadataOf(entry: VaultKvVersion) {
  return {
    created_time: entry.createdTime,
    custom_metadata: null,
    deletion_time: '',
    destroyed: false,
    version: entry.version,
  };
}
