export { openBroker, openDb, openRedis, type Closer } from './open';
export { runService, type Started } from './run-service';
