import { z } from 'zod';
import { messages } from '../errors/messages.js';
import { type Duration, parseDuration } from './duration.js';

/** A Go duration string or a number of milliseconds, in an option schema. */
export const durationSchema = z.custom<Duration>(
  (value) => (typeof value === 'string' || typeof value === 'number') && parseDuration(value) !== undefined,
  { error: (issue) => messages.notDuration(issue.input) },
);
