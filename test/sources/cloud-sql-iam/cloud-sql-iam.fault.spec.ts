import { tokenFrontDbOptions } from '../../support/token-front-suite.js';
import { googleAuthFor, useCloudSqlIamEndpoint } from '../../support/cloud-sql-iam.js';
import { describeTokenSourceFaults } from '../../support/token-source-faults.js';

describeTokenSourceFaults({
  title: 'Google',
  source: 'cloud-sql-iam',
  prefix: 'gsql',
  useEndpoint(prefix, tokenLifetimeMs) {
    const gcp = useCloudSqlIamEndpoint(prefix, { tokenLifetimeMs });
    return {
      get front() {
        return gcp.front;
      },
      get username() {
        return gcp.role.username;
      },
      issued: () => gcp.google.issued,
      refused: () => gcp.google.refused,
      setUnavailable: (down) => {
        gcp.google.unavailable = down;
      },
      dbOptions: (name) =>
        tokenFrontDbOptions(gcp, { name, cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, gcp.key) } }),
      // The service account's private key, by its armour.
      secrets: () => ['PRIVATE KEY'],
    };
  },
});
