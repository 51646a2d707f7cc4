export { typeOrmDriver } from './typeorm-driver.js';
