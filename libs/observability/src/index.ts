export { createLogger, type Logger, type LoggerConfig } from './logger';
export {
  Counter,
  Gauge,
  Histogram,
  createMetricsRegistry,
  sendMetrics,
  type Registry,
} from './metrics';
export { runHealthChecks, type HealthCheck, type HealthReport } from './health';
export { installShutdown, type Closable } from './shutdown';
export { createCloser, exitOnStartupError } from './startup';
