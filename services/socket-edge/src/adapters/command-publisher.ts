import type { Broker } from '@chat/broker';
import {
  SEND_BATCH_MAX,
  sendRoutingKey,
  type SendMessageBatchV1,
  type SendMessageCommandV1,
  type TopologyNames,
} from '@chat/contracts';

export interface CommandPublisher {
  /** Publishes the command to its partition; resolves once the broker confirmed it. */
  send(partition: number, command: SendMessageCommandV1): Promise<void>;
}

interface Waiting {
  command: SendMessageCommandV1;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Publishes send commands, the ones accepted for one partition during one turn of the event
 * loop together: a lone command as itself, several as one `chat.send-message-batch.v1`. Under
 * load that divides the broker's work per chat message (publish, persist, confirm, deliver,
 * ack) by the batch size; when quiet it adds nothing, since a turn then holds one command.
 * Order is kept: a partition's commands are published in the order they were given.
 */
export function createCommandPublisher(deps: {
  broker: Broker;
  names: TopologyNames;
}): CommandPublisher {
  const waiting = new Map<number, Waiting[]>();
  let scheduled = false;

  function publish(partition: number, batch: Waiting[]): void {
    const single = batch.length === 1 ? batch[0]!.command : undefined;
    const body: SendMessageCommandV1 | SendMessageBatchV1 = single ?? {
      type: 'chat.send-message-batch.v1',
      commands: batch.map((entry) => entry.command),
    };
    deps.broker
      .publish(deps.names.commandsExchange, sendRoutingKey(partition), body, {
        mandatory: true,
        type: body.type,
        correlationId: single?.correlationId,
      })
      .then(
        () => batch.forEach((entry) => entry.resolve()),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
  }

  function flush(): void {
    scheduled = false;
    for (const [partition, entries] of waiting) {
      for (let start = 0; start < entries.length; start += SEND_BATCH_MAX) {
        publish(partition, entries.slice(start, start + SEND_BATCH_MAX));
      }
    }
    waiting.clear();
  }

  return {
    send(partition, command) {
      return new Promise<void>((resolve, reject) => {
        const entries = waiting.get(partition);
        if (entries) entries.push({ command, resolve, reject });
        else waiting.set(partition, [{ command, resolve, reject }]);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
