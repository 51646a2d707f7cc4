import type { CredentialFetchContext, CredentialProvider, Credentials } from '../../src/index.js';
import { sleep } from './load.js';

/** A provider whose answer the test sets, that counts its calls and can lag behind the database. */
export class SwitchableProvider implements CredentialProvider {
  readonly name = 'test';
  calls = 0;
  readonly reasons: string[] = [];
  lagMs = 0;
  private published: Credentials;

  constructor(username: string, password: string) {
    this.published = { username, password, version: 'v0' };
  }

  /** What the database now wants; the provider reports it after `lagMs`. */
  publish(credentials: Omit<Credentials, 'version'>, version: string): void {
    const next = { ...credentials, version };
    if (this.lagMs === 0) this.published = next;
    else setTimeout(() => (this.published = next), this.lagMs);
  }

  async fetch(context: CredentialFetchContext): Promise<Credentials> {
    this.calls++;
    this.reasons.push(context.reason);
    await sleep(5);
    return this.published;
  }
}
