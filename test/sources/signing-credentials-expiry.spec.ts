import type { AwsCredentialIdentity } from '@smithy/types';
import { CredentialCache } from '../../src/credentials/credential-cache.js';
import type { CredentialProvider } from '../../src/credentials/credential-provider.interface.js';
import { DsqlCredentialProvider, RdsIamCredentialProvider } from '../../src/index.js';
import { ManualClock } from '../support/manual-clock.js';

const TWO_MINUTES = 2 * 60_000;
const TOKEN_TTL = 10 * 60_000;

/**
 * Temporary AWS credentials (SSO, IRSA, ECS, Fargate) as the SDK hands them out: a session that
 * expires two minutes after it is issued, a new one once less than a minute is left (the SDK
 * renews minutes before). Every session issued is kept, to check each token against its own.
 */
function twoMinuteSessions(clock: ManualClock) {
  const issued: AwsCredentialIdentity[] = [];
  const provide = async (): Promise<AwsCredentialIdentity> => {
    const current = issued.at(-1);
    if (current && current.expiration!.getTime() - clock.now() > 60_000) return current;
    const session = {
      accessKeyId: 'ASIAUNITTEST00000001',
      secretAccessKey: 'unit-test-session-secret',
      sessionToken: `session-${issued.length + 1}`,
      expiration: new Date(clock.now() + TWO_MINUTES),
    };
    issued.push(session);
    return session;
  };
  return { issued, provide };
}

const sources: [
  string,
  (clock: ManualClock, credentials: () => Promise<AwsCredentialIdentity>) => CredentialProvider,
][] = [
  [
    'rds-iam',
    (clock, credentials) =>
      new RdsIamCredentialProvider({
        region: 'us-east-1',
        username: 'app',
        signingHost: 'db.example',
        signingPort: 5432,
        tokenTtlMs: TOKEN_TTL,
        credentials,
        now: () => clock.now(),
      }),
  ],
  [
    'dsql',
    (clock, credentials) =>
      new DsqlCredentialProvider({
        region: 'us-east-1',
        username: 'app',
        signingHost: 'cluster.dsql.us-east-1.on.aws',
        tokenTtlMs: TOKEN_TTL,
        expiresInMs: 900_000,
        credentials,
        now: () => clock.now(),
      }),
  ],
];

describe.each(sources)(
  '%s: a token is valid until the earlier of its own expiry and the credentials that signed it',
  (_name, create) => {
    it('with signing credentials that expire in two minutes and a 10-minute token, the cache renews before the credentials expire, for 10 minutes on end', async () => {
      const clock = new ManualClock();
      const sessions = twoMinuteSessions(clock);
      const cache = new CredentialCache(create(clock, sessions.provide), { clock, random: () => 0.5 });
      const first = await cache.initialize();
      const firstSession = sessions.issued[0]!;
      // Reported valid until shortly before the session ends, not for the token's 10 minutes.
      expect(first.expiresAt!.getTime()).toBeLessThan(firstSession.expiration!.getTime());
      expect(first.expiresAt!.getTime()).toBeGreaterThan(clock.now() + 60_000);

      // Every second for 10 minutes: the token held was signed by a session that is still valid, with time to spare.
      for (let second = 1; second <= 600; second++) {
        await clock.advance(1_000);
        const held = await cache.get();
        const session = new URL(`https://${held.password}`).searchParams.get('X-Amz-Security-Token');
        const signedBy = sessions.issued.find((candidate) => candidate.sessionToken === session)!;
        expect(signedBy.expiration!.getTime()).toBeGreaterThan(clock.now() + 5_000);
      }
      // About one token per session, not one per second; and each renewal was the scheduled one.
      expect(sessions.issued.length).toBeGreaterThanOrEqual(5);
      expect(cache.counters.credentialFetches.scheduled.succeeded).toBeGreaterThanOrEqual(sessions.issued.length - 1);
      expect(cache.counters.credentialFetches.scheduled.succeeded).toBeLessThanOrEqual(3 * sessions.issued.length);
      await cache.close();
    });

    it('negative control: with long-lived keys (no expiration) the token is kept for its whole tokenTtl', async () => {
      const clock = new ManualClock();
      const cache = new CredentialCache(
        create(clock, async () => ({ accessKeyId: 'AKIAUNITTEST00000001', secretAccessKey: 'unit-test-secret' })),
        { clock, random: () => 0.5 },
      );
      const first = await cache.initialize();
      expect(first.expiresAt!.getTime()).toBe(clock.now() + TOKEN_TTL);
      await cache.close();
    });
  },
);
