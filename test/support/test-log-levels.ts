import { ConsoleLogger, Logger } from '@nestjs/common';

/**
 * The module logs every credential pick-up at `log` level; across a suite that is hundreds of
 * lines. Tests print warnings and errors only, unless TEST_LOG=1. Tests that check log lines
 * capture them (captured-log.ts) and put this back afterwards.
 */
export function applyTestLogLevels(): void {
  Logger.overrideLogger(new ConsoleLogger());
  if (!process.env.TEST_LOG) Logger.overrideLogger(['warn', 'error', 'fatal']);
}
