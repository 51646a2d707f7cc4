import type { ClientConfig } from 'pg';
import type { MeterProviderLike } from '../common/opentelemetry.js';
import type { ResolvedCredentialSource } from '../sources/registry.js';

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
  credentialSource: ResolvedCredentialSource;
  /** No TLS to a host that is not this machine, and nothing asked for plaintext: warned about at start. */
  plaintextUnasked?: boolean;
  /** Given in the options; the global one is looked up when the pool starts. */
  meterProvider?: MeterProviderLike;
  durationMetrics: boolean;
  /** The role sessions act as; already in `connection.options` as `-c role=…`. */
  sessionRole?: string;
}
