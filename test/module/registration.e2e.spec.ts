import { Injectable, Module } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigModule, ConfigService, registerAs } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  DatabaseConfigError,
  DatabaseModule,
  type DatabaseModuleOptions,
  type DatabaseOptionsFactory,
  DbService,
  getDbServiceToken,
  InjectDb,
  loadDatabaseConfigFile,
} from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createTestRole, type TestRole } from '../support/roles.js';
import { useTempFolder } from '../support/temp-folder.js';

let server: TestPostgres;
let role: TestRole;
let reportsRole: TestRole;
const open: TestingModule[] = [];
const configFolder = useTempFolder('registration-');

beforeAll(async () => {
  server = await startTestPostgres();
  role = await createTestRole(server);
  reportsRole = await createTestRole(server, 'reports');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await server.stop();
});

async function boot(imports: unknown[], providers: unknown[] = []): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: imports as never, providers: providers as never }).compile();
  await app.init();
  open.push(app);
  return app;
}

async function currentUser(db: DbService): Promise<string> {
  const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
  return rows[0]!.user;
}

@Injectable()
class OptionsFromClass implements DatabaseOptionsFactory {
  createDatabaseOptions(): DatabaseModuleOptions {
    return { dsn: role.dsn, maxOpenConnections: 3, maxIdleConnections: 1 };
  }
}

@Module({ providers: [OptionsFromClass], exports: [OptionsFromClass] })
class OptionsModule {}

@Injectable()
class ReportService {
  constructor(
    readonly main: DbService,
    @InjectDb('reports') readonly reports: DbService,
  ) {}
}

describe('registering DatabaseModule', () => {
  it('forRoot gives the default DbService', async () => {
    const app = await boot([DatabaseModule.forRoot({ dsn: role.dsn })]);
    expect(await currentUser(app.get(DbService))).toBe(role.username);
  });

  it('forRootAsync with useFactory reads options from ConfigService', async () => {
    const app = await boot([
      DatabaseModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ db: { dsn: role.dsn } })] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          dsn: config.getOrThrow<string>('db.dsn'),
          connectionMaxLifetime: '5m',
        }),
      }),
    ]);
    expect(await currentUser(app.get(DbService))).toBe(role.username);
  });

  it("forRootAsync with @nestjs/config's registerAs over seed 000's YAML file, as the README shows", async () => {
    const file = join(configFolder, 'default.yaml');
    writeFileSync(
      file,
      `connections:\n  default:\n    driver: postgres\n    dsn: "${role.dsn}"\n    connection_max_lifetime: "14m"\n`,
    );
    const databaseConfig = registerAs('database', () => loadDatabaseConfigFile(file, 'default'));
    const app = await boot([
      DatabaseModule.forRootAsync({
        imports: [ConfigModule.forFeature(databaseConfig)],
        inject: [databaseConfig.KEY],
        useFactory: (options: DatabaseModuleOptions) => options,
      }),
    ]);
    expect(await currentUser(app.get(DbService))).toBe(role.username);
  });

  it('forRootAsync with useClass', async () => {
    const app = await boot([DatabaseModule.forRootAsync({ useClass: OptionsFromClass })]);
    expect(app.get(DbService).stats().maxOpenConnections).toBe(3);
    expect(await currentUser(app.get(DbService))).toBe(role.username);
  });

  it('forRootAsync with useExisting', async () => {
    const app = await boot([DatabaseModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFromClass })]);
    expect(await currentUser(app.get(DbService))).toBe(role.username);
  });

  it('serves two named connections in one app', async () => {
    const app = await boot(
      [
        DatabaseModule.forRoot({ dsn: role.dsn }),
        DatabaseModule.forRootAsync({ name: 'reports', useFactory: () => ({ dsn: reportsRole.dsn }) }),
      ],
      [ReportService],
    );
    const service = app.get(ReportService);
    expect(await currentUser(service.main)).toBe(role.username);
    expect(await currentUser(service.reports)).toBe(reportsRole.username);
    expect(app.get(getDbServiceToken('reports'))).toBe(service.reports);
    expect(service.reports.name).toBe('reports');
  });

  it('refuses a forRootAsync factory whose options name another connection, naming both', async () => {
    const file = join(configFolder, 'reports.yaml');
    writeFileSync(file, `connections:\n  reports:\n    driver: postgres\n    dsn: "${reportsRole.dsn}"\n`);
    const compiling = Test.createTestingModule({
      imports: [DatabaseModule.forRootAsync({ useFactory: () => loadDatabaseConfigFile(file, 'reports') })],
    }).compile();
    await expect(compiling).rejects.toThrow(DatabaseConfigError);
    await expect(compiling).rejects.toThrow(
      /connection "reports" but the module registers "default"; pass name: 'reports'/,
    );
    // With the name given to the module too, it registers as "reports".
    const app = await boot([
      DatabaseModule.forRootAsync({ name: 'reports', useFactory: () => loadDatabaseConfigFile(file, 'reports') }),
    ]);
    expect(await currentUser(app.get<DbService>(getDbServiceToken('reports')))).toBe(reportsRole.username);
  });

  it('makes a connection global with isGlobal', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly db: DbService) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}
    const app = await boot([DatabaseModule.forRoot({ dsn: role.dsn, isGlobal: true }), FeatureModule]);
    expect(await currentUser(app.get(Consumer).db)).toBe(role.username);
  });

  it('fails application start on invalid options, naming the key', async () => {
    await expect(boot([DatabaseModule.forRoot({ dsn: role.dsn, connectionMaxLifetime: '15m' })])).rejects.toThrow(
      /connectionMaxLifetime: "15m" is not below 15m/,
    );
  });
});
