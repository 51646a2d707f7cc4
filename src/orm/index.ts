export { typeOrmDriver } from './typeorm-driver.js';
export { typeOrmReplication, type TypeOrmReplicationOptions } from './typeorm-replication.js';
