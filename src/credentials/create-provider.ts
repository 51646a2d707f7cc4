import type { CredentialSource } from '../config/resolved-options.js';
import type { CredentialProvider } from './credential-provider.interface.js';
import { StaticCredentialProvider } from './static.provider.js';

/** The provider behind a validated credential source. */
export async function createCredentialProvider(source: CredentialSource): Promise<CredentialProvider> {
  switch (source.kind) {
    case 'static':
      return new StaticCredentialProvider(source.username, source.password);
    case 'custom':
      return source.provider;
    case 'aws-iam': {
      // Loaded on demand: the AWS SDK costs startup time that password users need not pay.
      const { RdsIamCredentialProvider } = await import('./rds-iam.provider.js');
      return new RdsIamCredentialProvider(source);
    }
    case 'secrets-manager': {
      const { SecretsManagerCredentialProvider } = await import('./secrets-manager.provider.js');
      return new SecretsManagerCredentialProvider(source);
    }
  }
}
