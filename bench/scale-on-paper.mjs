// Scale on paper (issue 13 item 6) for `npm run bench`: the per-pool figures measured by the
// rotation and IAM runs, multiplied out to 1, 10, 100 and 1,000 replicas with production defaults.
import { fixed } from './load-kit.mjs';

const REPLICAS = [1, 10, 100, 1_000];
/** AWS's advice for RDS IAM: fewer than about 200 new IAM-authenticated connections per second. */
const IAM_LOGINS_PER_SECOND_ADVICE = 200;
/** Production profile of one replica: one pool of 10 connections, each recycled after 14 minutes. */
const POOL_SIZE = 10;
const LIFETIME_S = 14 * 60;
const LOGINS_PER_HOUR = (POOL_SIZE * 3600) / LIFETIME_S;
/** Ours: the secret is re-read once an hour (refreshInterval '1h'); lifetimes are pulled in by up to a tenth. */
const OURS_REFRESHES_PER_HOUR = 1;
const OURS_JITTER_S = LIFETIME_S / 10;
/** Secrets Manager's price: $0.05 per 10,000 API calls. */
const PRICE_PER_CALL = 0.05 / 10_000;

const short = (name) => name.replace(/ \(.*$/, '').replace('AWS Advanced NodeJS Wrapper 2', 'AWS wrapper');
const count = (value) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : fixed(value, value < 10 ? 2 : 1));
const overAdvice = (value) => (value >= IAM_LOGINS_PER_SECOND_ADVICE ? `**${count(value)}**` : count(value));

/**
 * Steady reads per hour of one replica, from the reading policy the rotation run measured outside
 * its windows (reads per login), applied to the production login rate.
 */
function steadyReadsPerHour(contender) {
  const { summary, name } = contender;
  if (name.startsWith('DbService')) return OURS_REFRESHES_PER_HOUR + summary.readsPerLoginOutside * LOGINS_PER_HOUR;
  // The wrapper caches the secret for the life of the process and re-reads only after a refused
  // login: outside the bench's windows its reads are those re-reads (it never recovers), not a policy.
  if (name.startsWith('AWS')) return 0;
  // DIY reads on every login; Knex on every login whose cached read is older than its TTL, and
  // production logins come 84 s apart (10 connections, 14 minutes), longer than any short TTL.
  return Math.max(summary.readsPerLoginOutside, name.startsWith('Knex') ? 1 : 0) * LOGINS_PER_HOUR;
}

/** Failed queries outside the rotation windows too: it did not recover once AWSCURRENT moved. */
const neverRecovers = (contender) =>
  contender.summary.failed - contender.summary.failedInside > 0 && contender.series.at(-1)?.failed > 0;

/** Returns the Markdown section. Every input may be missing (a focused run). */
export function scaleOnPaper({ rotation, iam }) {
  const parts = [
    `## Scale on paper

The per-pool figures above multiplied out to a fleet. One replica: one pool of ${POOL_SIZE} connections, each recycled after 14 minutes (the 14m default, for every contender), so ${fixed(LOGINS_PER_HOUR, 1)} logins an hour. Secrets Manager costs $0.05 per 10,000 calls; AWS advises fewer than ~${IAM_LOGINS_PER_SECOND_ADVICE} new IAM connections per second per database (**bold**: at or over it).
`,
  ];

  const ran = rotation?.contenders.filter((c) => c.summary) ?? [];
  if (ran.length) {
    const names = ran.map((c) => short(c.name));
    const steady = ran.map(steadyReadsPerHour);
    parts.push(`### GetSecretValue calls per hour, the secret unchanged

Per replica: ${ran.map((c, i) => `${names[i]} ${fixed(steady[i], 1)}/h (${c.name.startsWith('DbService') ? `the hourly refresh; measured ${fixed(c.summary.readsPerLoginOutside)} reads per login outside rotations` : c.name.startsWith('AWS') ? 'reads once, then only after a refused login' : `one read per login; measured ${fixed(c.summary.readsPerLoginOutside)} per login outside rotations`})`).join('; ')}.

| replicas | ${names.join(' | ')} |
|---|${names.map(() => '---').join('|')}|
${REPLICAS.map((n) => `| ${n.toLocaleString('en-US')} | ${steady.map((perReplica) => `${count(n * perReplica)} ($${fixed(n * perReplica * 24 * 30 * PRICE_PER_CALL, 2)}/month)`).join(' | ')} |`).join('\n')}

### GetSecretValue calls for one rotation, across the fleet

Measured calls per rotation per pool (${rotation.runMs / 1000} s run, ${rotation.poolSize} connections recycled every ${rotation.lifetimeS} s, 32 callers, a 2 s window) times the replicas. A peer that reads on every login attempt reads again for each refused one, so a longer window (AWS's rotation Lambdas have been seen to take up to a minute) multiplies its figure, not ours.

| replicas | ${names.join(' | ')} |
|---|${names.map(() => '---').join('|')}|
${REPLICAS.map((n) => `| ${n.toLocaleString('en-US')} | ${ran.map((c) => count(n * c.summary.readsPerRotation) + (neverRecovers(c) ? ' †' : '')).join(' | ')} |`).join('\n')}
${
  ran.some(neverRecovers)
    ? `\n† ${ran
        .filter(neverRecovers)
        .map((c) => short(c.name))
        .join(
          ', ',
        )}: still failing queries at the end of the run; it goes on reading on every refused login until restarted.\n`
    : ''
}`);
  }

  const iamRan = iam?.contenders.filter((c) => !c.error && !c.name.startsWith('pg.Pool, static')) ?? [];
  if (iamRan.length) {
    const names = iamRan.map((c) => short(c.name));
    // Per replica in production: the bench's per-pool rates slowed down by its time scale.
    const loginsPerSecond = iamRan.map((c) => c.loginsPerSecond / iam.timeScale);
    const tokensPerHour = iamRan.map((c) => (c.tokensPerSecond / iam.timeScale) * 3600);
    // Replicas that opened their pools in the same second (a deploy, a failover) recycle them together:
    // without jitter every connection logs in again in the same second; ours spreads them over a tenth of the lifetime.
    const worstShare = iamRan.map((c) => (c.name.startsWith('DbService') ? 1 / OURS_JITTER_S : 1));
    parts.push(`### New IAM logins per second at the database

Average: the logins per second per pool measured by the IAM run divided by its time scale (${iam.timeScale}), times the replicas. Worst second: replicas that opened their pools together (a deploy, a failover) recycle them together; pg-pool's \`maxLifetimeSeconds\`, Knex's \`maxConnectionLifetimeMillis\` (its jitter option is off by default) and the AWS wrapper's pool (pg-pool underneath) log every connection in again in the same second, ours spreads them over the jitter (a tenth of the lifetime: ${OURS_JITTER_S} s), so ${fixed(100 / OURS_JITTER_S, 1)}% of them in any one second. Tokens signed per hour per replica, measured the same way: ${iamRan.map((c, i) => `${names[i]} ${fixed(tokensPerHour[i], 1)}`).join(', ')}.${
      iamRan.some((c) => c.failed)
        ? ` ${iamRan
            .filter((c) => c.failed)
            .map((c) => short(c.name))
            .join(
              ', ',
            )}: refused logins and failed queries in the IAM run, so its logins here are the ones that got through.`
        : ''
    }

| replicas | ${names.map((name) => `${name}: average / worst second`).join(' | ')} |
|---|${names.map(() => '---').join('|')}|
${REPLICAS.map((n) => `| ${n.toLocaleString('en-US')} | ${iamRan.map((c, i) => `${count(n * loginsPerSecond[i])} / ${overAdvice(n * POOL_SIZE * worstShare[i])}`).join(' | ')} |`).join('\n')}
`);
  }
  return parts.join('\n');
}
