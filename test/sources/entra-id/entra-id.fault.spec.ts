import { tokenFrontDbOptions } from '../../support/token-front-suite.js';
import { entraCredential, useEntraIdEndpoint } from '../../support/entra-id.js';
import { describeTokenSourceFaults } from '../../support/token-source-faults.js';

describeTokenSourceFaults({
  title: 'Entra ID',
  source: 'entra-id',
  prefix: 'entra',
  useEndpoint(prefix, tokenLifetimeMs) {
    const azure = useEntraIdEndpoint(prefix, { tokenLifetimeMs });
    return {
      get front() {
        return azure.front;
      },
      get username() {
        return azure.role.username;
      },
      issued: () => azure.entra.issued,
      refused: () => azure.entra.refused,
      setUnavailable: (down) => {
        azure.entra.unavailable = down;
      },
      dbOptions: (name) =>
        tokenFrontDbOptions(azure, {
          name,
          entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client) },
        }),
      secrets: () => [azure.client.clientSecret],
    };
  },
});
