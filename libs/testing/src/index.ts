export {
  LOCAL_SERVICE_URLS,
  testNamespace,
  testRunId,
  testServiceUrls,
  withDatabase,
  type ServiceUrls,
} from './service-urls';
export { createTcpProxy, type TcpProxy } from './tcp-proxy';
export { deleteRabbitObjectsWithPrefix } from './rabbit-cleanup';
export * from './tokens';
export { metricValue, parseMetricSamples, type MetricSample } from './metrics-text';
