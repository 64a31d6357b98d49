export {
  connectBroker,
  type Broker,
  type BrokerConfig,
  type ConsumeOptions,
  type Consumer,
  type MessageHandler,
  type PublishOptions,
  type TopologySetup,
} from './broker';
export { createChatPublisher, type ChatPublisher } from './chat-publisher';
export { assertQueueWithDeadLetter, chatTopology, deadLetterTarget } from './chat-topology';
export {
  BrokerUnavailableError,
  PoisonMessageError,
  PublishNackedError,
  UnroutableError,
} from './errors';
export type { ReceivedMessage } from './received-message';
