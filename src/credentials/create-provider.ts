import type { CredentialSource } from '../config/resolved-options.js';
import type { CredentialProvider } from './credential-provider.interface.js';
import { RdsIamCredentialProvider } from './rds-iam.provider.js';
import { SecretsManagerCredentialProvider } from './secrets-manager.provider.js';
import { StaticCredentialProvider } from './static.provider.js';

/** The provider behind a validated credential source. */
export function createCredentialProvider(source: CredentialSource): CredentialProvider {
  switch (source.kind) {
    case 'static':
      return new StaticCredentialProvider(source.username, source.password);
    case 'custom':
      return source.provider;
    case 'aws-iam':
      return new RdsIamCredentialProvider(source);
    case 'secrets-manager':
      return new SecretsManagerCredentialProvider(source);
  }
}
