export { createCloser, type Closer } from './closer';
export { exitOnStartupError } from './startup-error';
export { installShutdown, type Closable } from './shutdown';
export { openBroker, openDb, openRedis } from './open';
export { runService, type Started } from './run-service';
