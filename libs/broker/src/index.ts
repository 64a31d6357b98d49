export { connectBroker, type Broker, type BrokerConfig } from './broker';
export type {
  ConsumeOptions,
  Consumer,
  MessageHandler,
  Publish,
  PublishOptions,
  TopologyContext,
  TopologySetup,
} from './types';
export { bindQueueBatch } from './bind-queue-batch';
export { createChatPublisher, type ChatPublisher, type DeliverOptions } from './chat-publisher';
export {
  assertQueueWithDeadLetter,
  chatExchanges,
  chatTopology,
  deadLetterTarget,
  OFFLINE_QUEUE_ARGUMENTS,
  SEND_DELIVERY_LIMIT,
  SEND_QUEUE_ARGUMENTS,
} from './chat-topology';
export { consumeReplacingOld, interimQueueName, type ReplaceableQueue } from './queue-replacement';
export {
  BrokerUnavailableError,
  PoisonMessageError,
  PublishNackedError,
  UnroutableError,
} from './errors';
export type { ReceivedMessage } from './received-message';
export {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  type ParkedMessage,
} from './dead-letters';
export { buildAsyncApiDocument, type AsyncApiDocument } from './asyncapi-document';
export {
  deleteNamespaceObjects,
  findNamespaceObjects,
  type NamespaceObjects,
  type QueueState,
} from './namespace-objects';
