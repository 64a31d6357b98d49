export {
  LOCAL_SERVICE_URLS,
  testNamespace,
  testRunId,
  testServiceUrls,
  withDatabase,
  type ServiceUrls,
} from './service-urls';
export { createTcpProxy, type CutMode, type TcpProxy, type TcpProxyStats } from './tcp-proxy';
export {
  createScratchDatabase,
  dropDatabasesWithPrefix,
  scratchDatabasePrefix,
  type ScratchDatabase,
} from './scratch-database';
export { queueCounts, type QueueCount } from './queue-counts';
export { deleteRabbitObjectsWithPrefix } from './rabbit-cleanup';
export * from './tokens';
export { metricValue, parseMetricSamples, type MetricSample } from './metrics-text';
export { freePort } from './free-port';
export { eventually } from './eventually';
export { newUserId } from './user-ids';
export {
  collect,
  connectUser,
  nextEvent,
  sendSentinel,
  sendWithAck,
  signalWithAck,
  tryConnect,
  type ClientSocket,
  type HandshakeRefusal,
} from './socket-client';
export { bookedPair, confirmBooking } from './bookings';
export { bookingOf, connectTutorGoEvents, type TutorGoEvents } from './tutorgo-events';
