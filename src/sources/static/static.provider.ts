import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';

/** Fixed credentials (a password in the DSN or options). Refreshing returns them unchanged. */
export class StaticCredentialProvider implements CredentialProvider {
  readonly name = 'static';
  readonly #credentials: Credentials;

  constructor(username: string, password: string) {
    this.#credentials = { username, password, version: 'static' };
  }

  async fetch(): Promise<Credentials> {
    return this.#credentials;
  }
}
