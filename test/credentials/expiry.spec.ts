import { isExpired, isExpiring } from '../../src/credentials/expiry.js';

describe('expiry', () => {
  const fetchedAt = Date.parse('2026-01-01T00:00:00Z');
  const token = (lifeMs: number) => ({ username: 'app', password: 'token', expiresAt: new Date(fetchedAt + lifeMs) });

  it('renews a 15 minute token 30 s before it expires, a short-lived one a tenth of its life before', () => {
    expect(isExpiring(token(900_000), fetchedAt, fetchedAt + 869_999)).toBe(false);
    expect(isExpiring(token(900_000), fetchedAt, fetchedAt + 870_000)).toBe(true);
    expect(isExpiring(token(10_000), fetchedAt, fetchedAt + 8_999)).toBe(false);
    expect(isExpiring(token(10_000), fetchedAt, fetchedAt + 9_000)).toBe(true);
    expect(isExpired(token(10_000), fetchedAt + 9_999)).toBe(false);
    expect(isExpired(token(10_000), fetchedAt + 10_000)).toBe(true);
  });

  it('takes sessionsEndAt, when it comes first, as the end of the credentials, with the same margin', () => {
    // A lease of 15 minutes whose sessions must end 100 s before it: useless for new logins from then on.
    const lease = { ...token(900_000), sessionsEndAt: new Date(fetchedAt + 800_000) };
    expect(isExpiring(lease, fetchedAt, fetchedAt + 769_999)).toBe(false);
    expect(isExpiring(lease, fetchedAt, fetchedAt + 770_000)).toBe(true);
    expect(isExpired(lease, fetchedAt + 799_999)).toBe(false);
    expect(isExpired(lease, fetchedAt + 800_000)).toBe(true);
    // Alone, without expiresAt, it counts as well.
    const sessionsOnly = { username: 'app', password: 'pw', sessionsEndAt: new Date(fetchedAt + 10_000) };
    expect(isExpiring(sessionsOnly, fetchedAt, fetchedAt + 9_000)).toBe(true);
    expect(isExpired(sessionsOnly, fetchedAt + 10_000)).toBe(true);
    // A later sessionsEndAt changes nothing: expiresAt comes first.
    const later = { ...token(10_000), sessionsEndAt: new Date(fetchedAt + 60_000) };
    expect(isExpiring(later, fetchedAt, fetchedAt + 8_999)).toBe(false);
    expect(isExpired(later, fetchedAt + 10_000)).toBe(true);
  });

  it('never expires credentials without expiresAt', () => {
    const password = { username: 'app', password: 'pw' };
    expect([isExpiring(password, fetchedAt, Infinity), isExpired(password, Infinity)]).toEqual([false, false]);
  });
});
