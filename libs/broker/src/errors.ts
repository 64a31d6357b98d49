/** A mandatory publish the broker could not route to any queue (basic.return). */
export class UnroutableError extends Error {
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly replyText: string,
  ) {
    super(`Message to ${exchange} with routing key ${routingKey} was returned: ${replyText}`);
    this.name = 'UnroutableError';
  }
}

/** The broker refused a publish (basic.nack). */
export class PublishNackedError extends Error {
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(`Broker nacked the message to ${exchange} with routing key ${routingKey}`);
    this.name = 'PublishNackedError';
  }
}

/** No connection came back, or no confirm arrived, within the publish timeout. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * Thrown by a message handler when the message can never be processed (malformed, forged,
 * unknown version). The consumer parks it on the dead-letter queue with the reason instead
 * of redelivering it forever.
 */
export class PoisonMessageError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'PoisonMessageError';
  }
}
