export {
  chooseLogFormat,
  createLogger,
  type LogFormat,
  type Logger,
  type LoggerConfig,
} from './logger';
export {
  Counter,
  Gauge,
  Histogram,
  createMetricsRegistry,
  sendMetrics,
  type Registry,
} from './metrics';
export { runHealthChecks, type HealthCheck, type HealthReport } from './health';
export {
  combineReadiness,
  createOpsListener,
  createPublicProbeListener,
  liveness,
  metricsAccess,
  publicReadiness,
  type ProbeListenerOptions,
  type ReadinessReport,
} from './ops-endpoints';
export { listen, listenHttp, type HttpListener } from './http-server';
export { startOpsServer, startPublicProbeServer, type OpsServer } from './ops-server';
