import { CredentialCache } from '../../src/credentials/credential-cache.js';
import type { CredentialProvider, Credentials } from '../../src/credentials/credential-provider.interface.js';
import { CredentialSourceError } from '../../src/errors/errors.js';

/** A provider stub: answers with whatever `next` is, after `delayMs`, counting calls. */
function stubProvider(initial: Credentials, delayMs = 10) {
  const provider = {
    name: 'stub',
    next: initial as Credentials | Error,
    calls: 0,
    async fetch() {
      provider.calls++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (provider.next instanceof Error) throw provider.next;
      return provider.next;
    },
  };
  return provider satisfies CredentialProvider;
}

const fixedRandom = () => 1;
const oneSecond = { baseMs: 1_000, maxMs: 20_000 };

describe('CredentialCache', () => {
  it('shares one fetch between concurrent refusals of the same credentials', async () => {
    const provider = stubProvider({ username: 'app', password: 'old-password' });
    const cache = new CredentialCache(provider, { random: fixedRandom, forcedRefreshBackoff: oneSecond });
    await cache.initialize();
    const revision = cache.revision;
    provider.next = { username: 'app', password: 'new-password' };
    const waits = await Promise.all(Array.from({ length: 32 }, () => cache.recoverFromRejection(revision)));
    expect(provider.calls).toBe(2);
    expect(waits).toEqual(Array(32).fill(0));
    expect((await cache.get()).password).toBe('new-password');
    expect(cache.counters.credentialRotations).toBe(1);
  });

  it('does not fetch for a refusal of credentials that were already replaced', async () => {
    const provider = stubProvider({ username: 'app', password: 'one-password' });
    const cache = new CredentialCache(provider);
    await cache.initialize();
    const stale = cache.revision;
    provider.next = { username: 'app', password: 'two-password' };
    await cache.refresh('manual');
    expect(await cache.recoverFromRejection(stale)).toBe(0);
    expect(provider.calls).toBe(2);
  });

  it('throttles forced fetches that return the refused credentials, with growing backoff', async () => {
    const provider = stubProvider({ username: 'app', password: 'refused-password' }, 0);
    const cache = new CredentialCache(provider, { random: fixedRandom, forcedRefreshBackoff: { baseMs: 100, maxMs: 400 } });
    await cache.initialize();
    const revision = cache.revision;
    const first = await cache.recoverFromRejection(revision);
    expect(first).toBeGreaterThan(50);
    expect(await cache.recoverFromRejection(revision)).toBeGreaterThan(0);
    expect(provider.calls).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, first + 5));
    const second = await cache.recoverFromRejection(revision);
    expect(provider.calls).toBe(3);
    expect(second).toBeGreaterThan(first);
    cache.loginSucceeded();
    expect(await cache.recoverFromRejection(revision)).toBeGreaterThan(0);
    expect(provider.calls).toBe(4);
  });

  it('keeps serving the last good credentials when a refresh fails, and reports it without the secret', async () => {
    const provider = stubProvider({ username: 'app', password: 'cached-password' });
    const cache = new CredentialCache(provider);
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

  it('renews credentials before they expire', async () => {
    const provider = stubProvider({ username: 'app', password: 'token-one', expiresAt: new Date(Date.now() + 100) }, 0);
    const cache = new CredentialCache(provider);
    await cache.initialize();
    provider.next = { username: 'app', password: 'token-two', expiresAt: new Date(Date.now() + 60_000) };
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await cache.get()).password).toBe('token-two');
    await cache.close();
  });

  /** Counts fetches of a cache over `ms`, then closes it and checks nothing is fetched after close. */
  async function scheduledFetches(extra: Partial<CredentialProvider>, ms: number): Promise<string[]> {
    const provider = stubProvider({ username: 'app', password: 'pw-1234' }, 0);
    const reasons: string[] = [];
    const cache = new CredentialCache({ ...provider, ...extra, fetch: async (context) => (reasons.push(context.reason), provider.fetch()) }, { random: () => 0 });
    await cache.initialize();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await cache.close();
    const seen = reasons.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reasons).toHaveLength(seen);
    return reasons;
  }

  it('re-reads on its refresh interval, and stops on close', async () => {
    const reasons = await scheduledFetches({ refreshIntervalMs: 250 }, 600);
    expect(reasons[0]).toBe('initial');
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reasons.slice(1))).toEqual(new Set(['scheduled']));
  });

  it('re-reads when the source says a change is due, before a longer interval', async () => {
    const reasons = await scheduledFetches({ refreshIntervalMs: 60_000, nextRefreshAt: () => new Date(Date.now() + 250) }, 600);
    expect(reasons.length).toBeGreaterThanOrEqual(2);
  });

  it('does not schedule anything for a source without expiry, interval or hint', async () => {
    expect(await scheduledFetches({}, 400)).toEqual(['initial']);
  });

  it('fails startup when the first fetch fails', async () => {
    const provider = stubProvider({ username: 'app', password: 'x' });
    provider.next = new Error('AccessDenied');
    const cache = new CredentialCache(provider);
    await expect(cache.initialize()).rejects.toThrow(/No database credentials yet.*AccessDenied/);
  });
});
