export { connectBroker, type Broker, type BrokerConfig } from './broker';
export type {
  ConsumeOptions,
  Consumer,
  MessageHandler,
  Publish,
  PublishOptions,
  TopologySetup,
} from './types';
export { bindQueueBatch } from './bind-queue-batch';
export { createChatPublisher, type ChatPublisher } from './chat-publisher';
export { assertQueueWithDeadLetter, chatTopology, deadLetterTarget } from './chat-topology';
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
