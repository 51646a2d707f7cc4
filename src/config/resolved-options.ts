import type { ClientConfig } from 'pg';
import type { CredentialProvider } from '../credentials/credential-provider.interface.js';

/** Where credentials come from, after validation: exactly one of these. */
export type CredentialSource =
  | { kind: 'static'; username: string; password: string }
  | {
      kind: 'aws-iam';
      region: string;
      username: string;
      tokenTtlMs: number;
      signingHost: string;
      signingPort: number;
    }
  | {
      kind: 'secrets-manager';
      secretId: string;
      region?: string;
      endpoint?: string;
      refreshIntervalMs: number;
    }
  | { kind: 'custom'; provider: CredentialProvider };

/** pg settings for a physical connection, minus the credentials (those come from the source). */
export type ConnectionSettings = Omit<ClientConfig, 'user' | 'password' | 'connectionString'> & {
  host: string;
  port: number;
};

/** Validated options with every default filled in and every duration in milliseconds. */
export interface ResolvedDatabaseOptions {
  name: string;
  connection: ConnectionSettings;
  maxOpenConnections: number;
  maxIdleConnections: number;
  connectionMaxLifetimeMs: number;
  connectionMaxLifetimeJitterMs: number;
  connectionMaxIdleTimeMs: number;
  connectionTimeoutMs: number;
  credentialSource: CredentialSource;
}
