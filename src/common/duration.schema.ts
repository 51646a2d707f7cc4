import { z } from 'zod';
import { messages } from '../errors/messages.js';
import { type Duration, MAX_DURATION_MS, parseDuration } from './duration.js';

/** A Go duration string or a number of milliseconds, in an option schema; no longer than a timer can hold. */
export const durationSchema = z.custom<Duration>(
  (value) => Math.abs(durationMs(value) ?? Number.NaN) <= MAX_DURATION_MS,
  {
    error: (issue) =>
      durationMs(issue.input) === undefined
        ? messages.notDuration(issue.input)
        : messages.durationTooLong(issue.input, MAX_DURATION_MS),
  },
);

function durationMs(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
}
