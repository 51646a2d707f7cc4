import { Inject } from '@nestjs/common';
import { getDbServiceToken, getPgPoolToken } from './database.utils.js';

/**
 * Injects the `DbService` of a named connection.
 *
 * @example
 * constructor(@InjectDb('reports') private readonly reports: DbService) {}
 */
export const InjectDb = (name?: string): PropertyDecorator & ParameterDecorator => Inject(getDbServiceToken(name));

/**
 * Injects a connection's `pg.Pool` (its `DbService.pool`): hand it to an ORM.
 *
 * @example
 * { provide: DRIZZLE, useFactory: (pool: Pool) => drizzle({ client: pool }), inject: [getPgPoolToken()] }
 * constructor(@InjectPgPool() private readonly pool: Pool) {}
 */
export const InjectPgPool = (name?: string): PropertyDecorator & ParameterDecorator => Inject(getPgPoolToken(name));
