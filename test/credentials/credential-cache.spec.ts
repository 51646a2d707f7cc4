import { inspect } from 'node:util';
import { CredentialCache } from '../../src/credentials/credential-cache.js';
import type {
  CredentialFetchContext,
  CredentialProvider,
  Credentials,
} from '../../src/credentials/credential-provider.interface.js';
import { CredentialSourceError } from '../../src/errors/errors.js';
import { ManualClock } from '../support/manual-clock.js';

/** A provider stub: answers with whatever `next` is, counting calls and their reasons. */
class StubProvider implements CredentialProvider {
  readonly name = 'stub';
  readonly reasons: string[] = [];
  readonly rejected: (Credentials | undefined)[] = [];
  refreshIntervalMs?: number;
  nextRefreshAt?: () => Date | undefined;

  constructor(
    public next: Credentials | Error,
    extra: Pick<CredentialProvider, 'refreshIntervalMs' | 'nextRefreshAt'> = {},
  ) {
    Object.assign(this, extra);
  }

  get calls(): number {
    return this.reasons.length;
  }

  async fetch(context: CredentialFetchContext): Promise<Credentials> {
    this.reasons.push(context.reason);
    this.rejected.push(context.rejected);
    await Promise.resolve();
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

function stubProvider(
  initial: Credentials,
  extra: Pick<CredentialProvider, 'refreshIntervalMs' | 'nextRefreshAt'> = {},
): StubProvider {
  return new StubProvider(initial, extra);
}

const maxJitter = () => 1;
const noJitter = () => 0;

function cacheOf(
  provider: CredentialProvider,
  clock = new ManualClock(),
  options: ConstructorParameters<typeof CredentialCache>[1] = {},
) {
  return { clock, cache: new CredentialCache(provider, { clock, random: maxJitter, ...options }) };
}

describe('CredentialCache: single flight', () => {
  it('shares one fetch between concurrent refusals of the same credentials', async () => {
    const provider = stubProvider({ username: 'app', password: 'old-password' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    const revision = cache.revision;
    provider.next = { username: 'app', password: 'new-password' };
    const waits = await Promise.all(Array.from({ length: 32 }, () => cache.recoverFromRejection(revision)));
    expect(provider.reasons).toEqual(['initial', 'auth-failure']);
    expect(waits).toEqual(Array(32).fill(0));
    expect((await cache.get()).password).toBe('new-password');
    expect(cache.counters.credentialRotations).toBe(1);
  });

  it('shares one fetch between concurrent manual refreshes', async () => {
    const provider = stubProvider({ username: 'app', password: 'pw-1234' });
    const { cache } = cacheOf(provider);
    await Promise.all([cache.initialize(), cache.refresh('manual'), cache.refresh('manual')]);
    expect(provider.calls).toBe(1);
  });

  it('does not fetch for a refusal of credentials that were already replaced', async () => {
    const provider = stubProvider({ username: 'app', password: 'one-password' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    const stale = cache.revision;
    provider.next = { username: 'app', password: 'two-password' };
    await cache.refresh('manual');
    expect(await cache.recoverFromRejection(stale)).toBe(0);
    expect(provider.calls).toBe(2);
  });
});

describe('CredentialCache: forced fetches after refused logins', () => {
  it('are throttled with growing backoff while the source returns the refused credentials, and reset by a working login', async () => {
    const provider = stubProvider({ username: 'app', password: 'refused-password' });
    const { cache, clock } = cacheOf(provider, new ManualClock(), {
      forcedRefreshBackoff: { baseMs: 100, maxMs: 400 },
    });
    await cache.initialize();
    const revision = cache.revision;
    // Full jitter: steps of 100, 200, 400 ms.
    expect(await cache.recoverFromRejection(revision)).toBe(100);
    expect(await cache.recoverFromRejection(revision)).toBe(100);
    expect(provider.calls).toBe(2);
    await clock.advance(99);
    expect(await cache.recoverFromRejection(revision)).toBe(1);
    expect(provider.calls).toBe(2);
    await clock.advance(1);
    expect(await cache.recoverFromRejection(revision)).toBe(200);
    expect(provider.calls).toBe(3);
    await clock.advance(200);
    expect(await cache.recoverFromRejection(revision)).toBe(400);
    await clock.advance(400);
    expect(await cache.recoverFromRejection(revision)).toBe(400);
    expect(provider.calls).toBe(5);
    cache.loginSucceeded();
    expect(await cache.recoverFromRejection(revision)).toBe(100);
    expect(provider.calls).toBe(6);
    expect(provider.reasons.slice(1)).toEqual(Array(5).fill('auth-failure'));
  });

  it('hand the refused credentials to the source', async () => {
    const provider = stubProvider({ username: 'app', password: 'refused-password' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    await cache.recoverFromRejection(cache.revision);
    expect(provider.rejected).toEqual([undefined, expect.objectContaining({ password: 'refused-password' })]);
  });
});

describe('CredentialCache: a failing source', () => {
  it('keeps serving the last good credentials, and reports it without the secret', async () => {
    const provider = stubProvider({ username: 'app', password: 'cached-password' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    provider.next = new Error('vault down; last value was cached-password');
    await expect(cache.refresh('manual')).rejects.toBeInstanceOf(CredentialSourceError);
    expect((await cache.get()).password).toBe('cached-password');
    const status = cache.status();
    expect(status).toMatchObject({ source: 'stub', username: 'app', consecutiveFailures: 1 });
    expect(status.lastError).toContain('vault down');
    expect(JSON.stringify(status)).not.toContain('cached-password');
    expect(cache.counters.credentialRefreshFailures).toBe(1);
  });

  it('retries on its backoff, serves expiring credentials meanwhile, and recovers', async () => {
    const expiresAt = (clock: ManualClock) => new Date(clock.now() + 60_000);
    const clock = new ManualClock();
    const provider = stubProvider({ username: 'app', password: 'token-one', expiresAt: expiresAt(clock) });
    const { cache } = cacheOf(provider, clock, { failedRefreshBackoff: { baseMs: 1_000, maxMs: 4_000 } });
    await cache.initialize();
    provider.next = new Error('throttled');
    // Renewal is planned before the margin (a tenth of the life: 6 s), less up to a tenth of the window: 54 s − 5.4 s.
    await clock.advance(48_600);
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
    expect(cache.status().consecutiveFailures).toBe(1);
    // Retries after 1 s, then 2 s; the next one is due 4 s later.
    await clock.advance(1_000);
    expect(provider.calls).toBe(3);
    await clock.advance(2_000);
    expect(provider.calls).toBe(4);
    // Inside the expiry margin now, yet a checkout does not jump the backoff: the cached token still works.
    await clock.advance(3_000);
    expect((await cache.get()).password).toBe('token-one');
    expect(provider.calls).toBe(4);
    provider.next = { username: 'app', password: 'token-two', expiresAt: expiresAt(clock) };
    await clock.advance(1_000);
    expect(provider.calls).toBe(5);
    expect(cache.status().consecutiveFailures).toBe(0);
    expect((await cache.get()).password).toBe('token-two');
    await cache.close();
  });

  it('fails a login once the cached credentials have expired', async () => {
    const clock = new ManualClock();
    const provider = stubProvider({ username: 'app', password: 'token-one', expiresAt: new Date(clock.now() + 1_000) });
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    await cache.close();
    provider.next = new Error('signing failed');
    await clock.advance(1_000);
    await expect(cache.get()).rejects.toBeInstanceOf(CredentialSourceError);
  });

  it('fails startup when the first fetch fails', async () => {
    const provider = stubProvider({ username: 'app', password: 'x' });
    provider.next = new Error('AccessDenied');
    const { cache } = cacheOf(provider);
    await expect(cache.initialize()).rejects.toThrow(/No database credentials yet.*AccessDenied/);
  });
});

describe('CredentialCache: scheduled refresh', () => {
  it('renews credentials before they expire', async () => {
    const clock = new ManualClock();
    const provider = stubProvider({
      username: 'app',
      password: 'token-one',
      expiresAt: new Date(clock.now() + 10_000),
    });
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    provider.next = { username: 'app', password: 'token-two', expiresAt: new Date(clock.now() + 600_000) };
    // Margin: a tenth of a 10 s life; jitter pulls it in by up to a tenth of the window.
    await clock.advance(8_099);
    expect(provider.calls).toBe(1);
    await clock.advance(1);
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
    expect((await cache.get()).password).toBe('token-two');
    await cache.close();
  });

  it('asks for new credentials at checkout when expiring ones were not renewed yet', async () => {
    const clock = new ManualClock();
    const provider = stubProvider({
      username: 'app',
      password: 'token-one',
      expiresAt: new Date(clock.now() + 10_000),
    });
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    await cache.close();
    provider.next = { username: 'app', password: 'token-two' };
    await clock.advance(9_500);
    expect((await cache.get()).password).toBe('token-two');
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
  });

  it.each([
    ['its refresh interval', { refreshIntervalMs: 1_000 }, 900],
    [
      'the source’s hint, before a longer interval',
      { refreshIntervalMs: 60_000, nextRefreshAt: () => new Date(Date.parse('2026-01-01T00:00:00.500Z')) },
      500,
    ],
  ])('re-reads on %s, and stops on close', async (_what, extra, firstAfter) => {
    const provider = stubProvider({ username: 'app', password: 'pw-1234' }, extra);
    const { cache, clock } = cacheOf(provider);
    await cache.initialize();
    await clock.advance(firstAfter - 1);
    expect(provider.calls).toBe(1);
    await clock.advance(1);
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
    await cache.close();
    expect(clock.pending).toBe(0);
    await clock.advance(120_000);
    expect(provider.calls).toBe(2);
  });

  it('does not schedule anything for a source without expiry, interval or hint', async () => {
    const provider = stubProvider({ username: 'app', password: 'pw-1234' });
    const { cache, clock } = cacheOf(provider, new ManualClock(), { random: noJitter });
    await cache.initialize();
    expect(clock.pending).toBe(0);
    await clock.advance(3_600_000);
    expect(provider.reasons).toEqual(['initial']);
  });
});

describe('CredentialCache: sessionsEndAt (sessions must end by then) counts like expiresAt', () => {
  // Credentials whose sessions must already be closed give connections the pool closes before handing them out.
  const lease = (clock: ManualClock, password: string, sessionsInMs: number): Credentials => ({
    username: 'app',
    password,
    expiresAt: new Date(clock.now() + 3_600_000),
    sessionsEndAt: new Date(clock.now() + sessionsInMs),
  });

  it('asks for new credentials at checkout once sessionsEndAt is near, though expiresAt is far', async () => {
    const clock = new ManualClock();
    const provider = stubProvider(lease(clock, 'lease-one', 10_000));
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    await cache.close();
    provider.next = lease(clock, 'lease-two', 600_000);
    // Margin: a tenth of the 10 s to sessionsEndAt.
    await clock.advance(8_999);
    expect((await cache.get()).password).toBe('lease-one');
    await clock.advance(1);
    expect((await cache.get()).password).toBe('lease-two');
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
  });

  it('renews on schedule before sessionsEndAt', async () => {
    const clock = new ManualClock();
    const provider = stubProvider(lease(clock, 'lease-one', 10_000));
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    provider.next = lease(clock, 'lease-two', 600_000);
    // As for expiresAt: the margin (1 s), less up to a tenth of the window.
    await clock.advance(8_099);
    expect(provider.calls).toBe(1);
    await clock.advance(1);
    expect(provider.reasons).toEqual(['initial', 'scheduled']);
    await cache.close();
  });

  it('fails a login instead of serving credentials past sessionsEndAt while the source is down', async () => {
    const clock = new ManualClock();
    const provider = stubProvider(lease(clock, 'lease-one', 1_000));
    const { cache } = cacheOf(provider, clock);
    await cache.initialize();
    await cache.close();
    provider.next = new Error('vault sealed');
    await clock.advance(1_000);
    await expect(cache.get()).rejects.toBeInstanceOf(CredentialSourceError);
    expect(cache.status().lastError).toContain('vault sealed');
  });
});

describe('CredentialCache: changes', () => {
  it('bumps the revision and tells the listener only when the username or password changed', async () => {
    const provider = stubProvider({ username: 'app', password: 'pw-one', version: 'v1' });
    const { cache } = cacheOf(provider);
    const changes: string[] = [];
    cache.subscribe({ changed: (previous, next) => changes.push(`${previous.username}->${next.username}`) });
    await cache.initialize();
    const first = cache.revision;
    provider.next = { username: 'app', password: 'pw-one', version: 'v2' };
    await cache.refresh('manual');
    expect(cache.revision).toBe(first);
    provider.next = { username: 'app_clone', password: 'pw-two', version: 'v3' };
    await cache.refresh('manual');
    expect(cache.revision).toBe(first + 1);
    expect(changes).toEqual(['app->app_clone']);
    expect(cache.counters).toMatchObject({
      credentialRefreshes: 3,
      credentialRefreshFailures: 0,
      credentialRotations: 1,
    });
    expect(cache.counters.credentialFetches).toMatchObject({
      initial: { succeeded: 1, failed: 0 },
      manual: { succeeded: 2, failed: 0 },
    });
    expect(cache.status()).toMatchObject({ username: 'app_clone', version: 'v3', consecutiveFailures: 0 });
  });

  it('refuses a provider answer without a username and password, keeping the last good one', async () => {
    const provider = stubProvider({ username: 'app', password: 'pw-1234' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    provider.next = { username: '', password: 'pw-5678' };
    await expect(cache.refresh('manual')).rejects.toThrow(/no \{ username, password \}/);
    expect((await cache.get()).password).toBe('pw-1234');
  });
});

describe('CredentialCache: events', () => {
  it('tells subscribers of each fetch, each failure (serving cached or not, and when it retries) and the recovery', async () => {
    const clock = new ManualClock();
    const provider = stubProvider({
      username: 'app',
      password: 'pw-one',
      version: 'v1',
      expiresAt: new Date(clock.now() + 10_000),
    });
    const { cache } = cacheOf(provider, clock, { failedRefreshBackoff: { baseMs: 1_000, maxMs: 8_000 } });
    const fetched: string[] = [];
    const failed: Array<{ reason: string; servingCached: boolean; consecutiveFailures: number; retryInMs: number }> =
      [];
    cache.subscribe({
      fetched: ({ reason, credentials, previous, failuresBefore }) =>
        fetched.push(
          `${reason} ${credentials.version} after ${previous?.version ?? 'nothing'}, ${failuresBefore} failures before`,
        ),
      fetchFailed: ({ reason, servingCached, consecutiveFailures, retryInMs }) =>
        failed.push({ reason, servingCached, consecutiveFailures, retryInMs }),
    });
    await cache.initialize();
    provider.next = new Error('source down');
    await expect(cache.refresh('manual')).rejects.toThrow(CredentialSourceError);
    expect(failed).toEqual([{ reason: 'manual', servingCached: true, consecutiveFailures: 1, retryInMs: 1_000 }]);
    // Scheduled retries keep failing past the credentials' expiry.
    await clock.advance(20_000);
    expect(failed.length).toBeGreaterThan(2);
    expect(failed.map((event) => event.consecutiveFailures)).toEqual(failed.map((_, index) => index + 1));
    expect(failed.at(-1)).toMatchObject({ reason: 'scheduled', servingCached: false });
    provider.next = { username: 'app', password: 'pw-two', version: 'v2' };
    await cache.refresh('manual');
    expect(fetched).toEqual([
      'initial v1 after nothing, 0 failures before',
      `manual v2 after v1, ${failed.length} failures before`,
    ]);
    expect(cache.counters.credentialFetches).toMatchObject({
      manual: { succeeded: 1, failed: 1 },
      scheduled: { succeeded: 0, failed: failed.length - 1 },
    });
  });
});

describe('CredentialCache: issue 20', () => {
  it('redacts a version that quotes the password in status(), as the log lines do', async () => {
    const provider = stubProvider({ username: 'app', password: 'version-quoted-pw', version: 'v7:version-quoted-pw' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    expect(cache.status().version).toBe('v7:[redacted]');
  });

  it('keeps a safe code, the HTTP status and a redacted cause of a failed fetch', async () => {
    const provider = stubProvider({ username: 'app', password: 'cause-quoted-pw' });
    const { cache } = cacheOf(provider);
    await cache.initialize();
    // The shape of an AWS SDK error (a ServiceException), wrapped
    // by the provider as SecretsManagerCredentialProvider does.
    const aws = Object.assign(new Error('User arn:aws:iam::1:role/app is not authorized; last value cause-quoted-pw'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      secret: 'cause-quoted-pw',
    });
    provider.next = new CredentialSourceError(`GetSecretValue failed: ${aws.message}`, 'stub', { cause: aws });
    const error = (await cache.refresh('manual').catch((thrown: unknown) => thrown)) as CredentialSourceError;
    expect(error).toBeInstanceOf(CredentialSourceError);
    expect(error).toMatchObject({ code: 'AccessDeniedException', httpStatus: 400 });
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toContain('not authorized');
    expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain('cause-quoted-pw');
  });

  it("takes Node's code of a source it could not reach", async () => {
    const provider = stubProvider({ username: 'app', password: 'x' });
    provider.next = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8200'), { code: 'ECONNREFUSED' });
    const { cache } = cacheOf(provider);
    await expect(cache.initialize()).rejects.toMatchObject({ code: 'ECONNREFUSED', httpStatus: undefined });
  });

  it('bounds close() while a fetch hangs', async () => {
    const clock = new ManualClock();
    const provider = stubProvider({ username: 'app', password: 'x' });
    const { cache } = cacheOf(provider, clock, { closeTimeoutMs: 5_000 });
    await cache.initialize();
    provider.fetch = () => new Promise<Credentials>(() => undefined);
    void cache.refresh('manual').catch(() => undefined);
    let closed = false;
    const closing = cache.close().then(() => (closed = true));
    await clock.advance(4_999);
    expect(closed).toBe(false);
    await clock.advance(1);
    expect(closed).toBe(true);
    await closing;
  });

  it('never plans a timer longer than Node can hold (a far expiry would fire at once, in a loop)', async () => {
    // The real clock: the defect is Node's, which fires a timer past 2^31-1 ms after 1 ms.
    const provider = stubProvider({
      username: 'app',
      password: 'x',
      expiresAt: new Date(Date.now() + 60 * 86_400_000),
    });
    const cache = new CredentialCache(provider);
    await cache.initialize();
    const deadline = Date.now() + 300;
    while (Date.now() < deadline && provider.calls === 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.reasons).toEqual(['initial']);
    await cache.close();
  });
});
