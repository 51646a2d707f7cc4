import { Inject } from '@nestjs/common';
import { getDbServiceToken } from './database.utils.js';

/**
 * Injects the `DbService` of a named connection.
 *
 * @example
 * constructor(@InjectDb('reports') private readonly reports: DbService) {}
 */
export const InjectDb = (name?: string): PropertyDecorator & ParameterDecorator => Inject(getDbServiceToken(name));
