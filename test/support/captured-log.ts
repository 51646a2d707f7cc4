import { Logger, type LoggerService } from '@nestjs/common';
import { applyTestLogLevels } from './test-log-levels.js';

export interface LogLine {
  level: 'log' | 'warn' | 'error' | 'debug' | 'verbose' | 'fatal';
  context?: string;
  message: string;
}

/** Routes Nest's Logger (which the module logs through) into an array until `restore()`. */
export function captureNestLog(): {
  lines: LogLine[];
  logger: LoggerService;
  of(context: string): LogLine[];
  restore(): void;
} {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine['level']) =>
    (message: unknown, ...rest: unknown[]) => {
      const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
      lines.push({ level, context, message: String(message) });
    };
  const capture: LoggerService = {
    log: record('log'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
    verbose: record('verbose'),
    fatal: record('fatal'),
  };
  Logger.overrideLogger(capture);
  return {
    lines,
    /** For `Test.createTestingModule(…).setLogger(logger)`: Nest's testing module replaces the logger otherwise. */
    logger: capture,
    of: (context) => lines.filter((line) => line.context === context),
    restore: applyTestLogLevels,
  };
}
