import type { ConsumeMessage } from 'amqplib';
import { PoisonMessageError } from './errors';

/** A delivery as handlers see it: the raw message plus a JSON reader that flags poison. */
export interface ReceivedMessage {
  readonly raw: ConsumeMessage;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly headers: Record<string, unknown>;
  /** The body parsed as JSON; throws PoisonMessageError when it is not JSON. */
  json(): unknown;
}

export function toReceivedMessage(raw: ConsumeMessage): ReceivedMessage {
  return {
    raw,
    exchange: raw.fields.exchange,
    routingKey: raw.fields.routingKey,
    redelivered: raw.fields.redelivered,
    messageId: raw.properties.messageId as string | undefined,
    correlationId: raw.properties.correlationId as string | undefined,
    headers: (raw.properties.headers ?? {}) as Record<string, unknown>,
    json() {
      try {
        return JSON.parse(raw.content.toString('utf8')) as unknown;
      } catch (error) {
        throw new PoisonMessageError('body is not valid JSON', { cause: error });
      }
    },
  };
}
