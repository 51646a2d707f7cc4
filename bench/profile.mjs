// Not part of `npm run bench`: `node --cpu-prof bench/profile.mjs [raw|db|pool|kysely|otel]` profiles one contender.
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  InMemoryMetricExporter,
  AggregationTemporality,
} from '@opentelemetry/sdk-metrics';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { DbService } from 'nestjs-rotating-pg';
import { startTestPostgres } from 'nestjs-rotating-pg/testing';
const which = process.argv[2] ?? 'db';
const server = await startTestPostgres({ alwaysEmbedded: true });
await server.admin("CREATE ROLE bench LOGIN PASSWORD 'bench-password'");
const connection = {
  host: server.host,
  port: server.port,
  database: 'postgres',
  user: 'bench',
  password: 'bench-password',
};
const meterProvider =
  which === 'otel'
    ? new MeterProvider({
        readers: [
          new PeriodicExportingMetricReader({
            exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
            exportIntervalMillis: 1000,
          }),
        ],
      })
    : undefined;
const db = await DbService.create({ ...connection, maxOpenConnections: 10, maxIdleConnections: 10, meterProvider });
const raw = new pg.Pool({ ...connection, max: 10 });
raw.on('error', () => undefined); // the server stops under it at the end
const k = new Kysely({ dialect: new PostgresDialect({ pool: which === 'kysely-raw' ? raw : db.pool }) });
const run = {
  raw: () => raw.query('SELECT 1'),
  db: () => db.query('SELECT 1'),
  otel: () => db.query('SELECT 1'),
  pool: () => db.pool.query('SELECT 1'),
  kysely: () => k.selectNoFrom(sql`1`.as('one')).execute(),
  'kysely-raw': () => k.selectNoFrom(sql`1`.as('one')).execute(),
}[which];
let done = 0;
const cpuBefore = process.cpuUsage();
const until = performance.now() + 5000;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (performance.now() < until) {
      await run();
      done++;
    }
  }),
);
const cpu = process.cpuUsage(cpuBefore);
console.log(which, Math.round(done / 5), 'q/s', ((cpu.user + cpu.system) / done).toFixed(1), 'µs CPU per query');
await db.onApplicationShutdown();
await raw.end();
await meterProvider?.shutdown();
await server.stop();
