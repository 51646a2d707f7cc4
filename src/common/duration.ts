/**
 * Go duration strings (`time.ParseDuration`): the seed's config files are written for a Go
 * service, so `'14m'` must mean here exactly what it meant there. Hand-written rather than
 * `parse-duration` because that package also accepts `'14'` (as 14 ms) and `'1 hour'`,
 * which would turn a typo into a silently wrong lifetime.
 */
export type Duration = string | number;

/**
 * The longest delay a Node.js timer holds (2³¹−1 ms, about 24.8 days): a longer one fires after
 * 1 ms, so a monthly refresh interval would fetch in a loop. Every duration option feeds a timer
 * (here or in the server, whose timeouts have the same limit), so none may be longer.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const GO_DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const TERM = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Milliseconds for a Go duration string or a number of milliseconds; `undefined` when malformed. */
export function parseDuration(value: Duration): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = value.trim();
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(TERM)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  return text.startsWith('-') ? -total : total;
}

/** The shortest Go-style spelling of a millisecond count (`840000` → `'14m'`), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1_000) return `${sign}${round(rest)}ms`;
  let text = '';
  const hours = Math.floor(rest / 3_600_000);
  if (hours > 0) text += `${hours}h`;
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  if (minutes > 0) text += `${minutes}m`;
  rest -= minutes * 60_000;
  if (rest > 0) text += `${round(rest / 1_000)}s`;
  return sign + text;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
