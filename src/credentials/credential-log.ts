import { formatDuration } from '../common/duration.js';
import type { ModuleLogger } from '../common/logger.js';
import { messages } from '../errors/messages.js';
import { redactSecrets } from '../errors/redact.js';
import type { CredentialCache } from './credential-cache.js';

/**
 * The rotation story in the application's log: `log` when credentials are picked up or the
 * source answers again, `warn` while cached credentials serve through a failing source,
 * `error` when none are usable. A failed first fetch is left to the caller, who gets it thrown.
 */
export function logCredentialEvents(cache: CredentialCache, logger: ModuleLogger): void {
  cache.subscribe({
    fetched: ({ credentials, previous, changed, failuresBefore }) => {
      if (failuresBefore > 0) logger.log(messages.credentialsRecovered(cache.source, failuresBefore));
      if (previous && !changed) return;
      // A custom provider's version is not ours to trust: it must not quote the password.
      const version =
        credentials.version && redactSecrets(credentials.version, [credentials.password, previous?.password]);
      const usernameChange = !previous ? 'first' : previous.username === credentials.username ? 'same' : 'changed';
      logger.log(
        messages.credentialsPickedUp(cache.source, version, credentials.username, usernameChange, previous?.username),
      );
    },
    fetchFailed: ({ reason, detail, servingCached, consecutiveFailures, retryInMs }) => {
      if (reason === 'initial') return;
      // Backoff delays carry jitter down to the microsecond; a tenth of a second is precise enough to read.
      const retryIn = formatDuration(Math.ceil(retryInMs / 100) * 100);
      if (servingCached)
        logger.warn(messages.servingCachedCredentials(cache.source, detail, consecutiveFailures, retryIn));
      else logger.error(messages.noUsableCredentials(cache.source, detail, retryIn));
    },
  });
}
