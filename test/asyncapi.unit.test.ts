import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApiDocument } from '@chat/broker';
import { chatDomainEventSchema, deliveryBatchV1Schema, deliveryV1Schema } from '@chat/contracts';

const committedPath = join(__dirname, '..', 'docs', 'asyncapi.json');

/** What a reader of the document finds for a message key: the channels that list it. */
function channelsCarrying(document: ReturnType<typeof buildAsyncApiDocument>, key: string) {
  return Object.entries(document.channels as Record<string, { messages?: object }>)
    .filter(([, channel]) => channel.messages && key in channel.messages)
    .map(([id]) => id)
    .sort();
}

describe('the AsyncAPI document (docs/asyncapi.json)', () => {
  const generated = buildAsyncApiDocument();

  it('when the contracts generate the document, then it equals the committed docs/asyncapi.json', () => {
    const committed: unknown = JSON.parse(readFileSync(committedPath, 'utf8'));
    try {
      expect(committed).toEqual(JSON.parse(JSON.stringify(generated)));
    } catch (error) {
      throw new Error(
        `docs/asyncapi.json is not what libs/contracts generate: run npm run asyncapi -- --write\n${(error as Error).message}`,
        { cause: error },
      );
    }
  });

  it('when @asyncapi/parser reads it, then it is valid AsyncAPI 3.0 with no error, warning or hint', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(generated));
    // The one notice kept: 3.1.0 exists; the document stays on 3.0.0, which its readers expect.
    const findings = diagnostics
      .filter((diagnostic) => diagnostic.code !== 'asyncapi-latest-version')
      .map(
        (diagnostic) => `${diagnostic.code} at ${diagnostic.path.join('/')}: ${diagnostic.message}`,
      );
    expect(findings).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  }, 30_000);

  it('when a delivery event is in the contracts’ union, then a message for it travels on chat.delivery, the edge queues and chat.offline', () => {
    const events = deliveryV1Schema.options.map((option) => option.shape.event.value);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const key = `delivery.${event}`;
      expect({ key, message: generated.components.messages[key]?.name }).toEqual({
        key,
        message: `chat.delivery.v1:${event}`,
      });
      expect({ key, channels: channelsCarrying(generated, key) }).toEqual({
        key,
        channels: ['deliveries', 'edgeQueue', 'offlineQueue'],
      });
    }
  });

  it('when message-service batches its answers, then chat.delivery-batch.v1 travels where single deliveries do', () => {
    const type = deliveryBatchV1Schema.shape.type.value;
    expect(generated.components.messages[type]?.bindings.amqp.messageType).toBe(type);
    expect(channelsCarrying(generated, type)).toEqual(['deliveries', 'edgeQueue', 'offlineQueue']);
  });

  it('when a domain event is in the contracts’ union, then it has a channel on chat.events routed by its type, and an operation publishing it', () => {
    const channels = generated.channels as Record<
      string,
      { address: string; bindings: { amqp: { exchange?: { name: string } } } }
    >;
    for (const option of chatDomainEventSchema.options) {
      const type = option.shape.type.value;
      expect({ type, address: channels[type]?.address }).toEqual({ type, address: type });
      expect({ type, exchange: channels[type]?.bindings.amqp.exchange?.name }).toEqual({
        type,
        exchange: 'chat.events',
      });
      expect(generated.operations).toHaveProperty([`publish.${type}`, 'action'], 'send');
    }
  });
});
