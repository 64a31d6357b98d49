import { randomUUID } from 'node:crypto';
import type { ChatPublisher, ReceivedMessage } from '@chat/broker';
import type { DeliveryV1, MessageRecord, SendMessageCommandV1 } from '@chat/contracts';
import type { NewMessage } from '@chat/db';
import { createLogger } from '@chat/observability';
import {
  createSendMessageHandler,
  type MessageStorePort,
} from '../src/entry-points/broker/send-message-handler';

const logger = createLogger({ service: 'test', level: 'silent' });

const command = (
  message: string,
  extra: Partial<SendMessageCommandV1> = {},
): SendMessageCommandV1 => ({
  type: 'chat.send-message.v1',
  conversationId: 'a_b',
  senderId: 'a',
  receiverId: 'b',
  message,
  clientMessageId: randomUUID(),
  acceptedAt: new Date().toISOString(),
  correlationId: randomUUID(),
  ...extra,
});

const received = (body: SendMessageCommandV1) =>
  ({ json: () => body, redelivered: false, headers: {} }) as unknown as ReceivedMessage;

const unavailable = () =>
  Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/**
 * A store that keeps bodies in call order, records each call's batch, and fails calls while
 * `failures` has entries (an entry may also fail only batches holding a body).
 */
function createStore(failures: (Error | { body: string; error: Error })[] = []) {
  const stored: string[] = [];
  const calls: string[][] = [];
  const records: MessageRecord[] = [];
  const store: MessageStorePort = {
    findByClientMessageIds: async (keys) =>
      records.filter((record) =>
        keys.some(
          (key) =>
            key.senderId === record.senderId && key.clientMessageId === record.clientMessageId,
        ),
      ),
    async storeEntitledMessages(inputs: readonly NewMessage[]) {
      calls.push(inputs.map((input) => input.body));
      const failure = failures[0];
      if (failure instanceof Error) {
        failures.shift();
        throw failure;
      }
      if (failure && inputs.some((input) => input.body === failure.body)) throw failure.error;
      return inputs.map((input) => {
        stored.push(input.body);
        const message: MessageRecord = {
          ...input,
          id: randomUUID(),
          seq: stored.length,
          createdAt: new Date(),
          editedAt: null,
          read: false,
          delivered: false,
        };
        records.push(message);
        return { message, created: true };
      });
    },
  };
  return { store, stored, calls };
}

function recordingPublisher() {
  const deliveries: DeliveryV1[] = [];
  /** The events of each deliverAll call, in call order. */
  const batches: string[][] = [];
  const publisher: ChatPublisher = {
    deliver: async (delivery) => {
      deliveries.push(delivery);
    },
    deliverAll: async (batch) => {
      batches.push(batch.map((d) => `${d.event}:${d.userId}`));
      deliveries.push(...batch);
    },
    emitEvent: async () => undefined,
  };
  const rejected = () =>
    deliveries.flatMap((d) => (d.event === 'send-rejected' ? [d.payload.code] : []));
  return { publisher, deliveries, rejected, batches };
}

const handlerWith = (store: MessageStorePort, publisher = recordingPublisher().publisher) =>
  createSendMessageHandler({
    messages: store,
    policy: { allowedStatuses: ['confirmed'] },
    entitlements: { checkPairs: async () => new Map() },
    publisher,
    messageMaxLength: 100,
    retryDelaysMs: [5, 5, 10],
    logger,
  });

describe('send command handling', () => {
  it('when commands arrive together, then they are stored in one batch, in arrival order', async () => {
    const { store, stored, calls } = createStore();
    const handle = handlerWith(store);
    await Promise.all(['one', 'two', 'three'].map((body) => handle(received(command(body)))));
    expect(calls).toEqual([['one', 'two', 'three']]);
    expect(stored).toEqual(['one', 'two', 'three']);
  });

  it('when commands of several senders are stored in one batch, then their answers go out together, refusals included, and each receiver gets its own new-message', async () => {
    const { store } = createStore();
    const { publisher, deliveries, batches } = recordingPublisher();
    const handle = handlerWith(store, publisher);
    await Promise.all([
      handle(received(command('one'))),
      handle(received(command('two', { senderId: 'c', receiverId: 'd', conversationId: 'c_d' }))),
      handle(received(command('x'.repeat(101)))),
    ]);
    expect(batches).toEqual([['send-rejected:a', 'message-sent:a', 'message-sent:c']]);
    expect(deliveries.filter((d) => d.event === 'new-message').map((d) => d.userId)).toEqual([
      'b',
      'd',
    ]);
  });

  it('when the database is unavailable for a while, then the batch waits and is stored in order once it is back, nothing refused', async () => {
    const { store, stored } = createStore([
      unavailable(),
      unavailable(),
      unavailable(),
      unavailable(),
    ]);
    const { publisher, rejected } = recordingPublisher();
    const handle = handlerWith(store, publisher);
    await Promise.all([handle(received(command('first'))), handle(received(command('second')))]);
    expect(stored).toEqual(['first', 'second']);
    expect(rejected()).toEqual([]);
  });

  it('when a store fails for another reason, then that command fails alone and the others of its batch are stored', async () => {
    const { store, stored } = createStore([
      { body: 'bad', error: new Error('check constraint violated') },
    ]);
    const handle = handlerWith(store);
    const settled = await Promise.allSettled(
      ['first', 'bad', 'last'].map((body) => handle(received(command(body)))),
    );
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(stored).toEqual(['first', 'last']);
  });

  it('when a command is past its deadline, then it is refused with TIMEOUT, and so is every later command its sender had in flight in that conversation, but not one sent after the refusal', async () => {
    const { store, stored } = createStore();
    const { publisher, rejected } = recordingPublisher();
    const handle = handlerWith(store, publisher);
    const accepted = new Date(Date.now() - 5000).toISOString();
    const late = command('late', {
      acceptedAt: accepted,
      expiresAt: new Date(Date.now() - 1).toISOString(),
    });
    const inFlight = command('in flight', { acceptedAt: accepted });
    const otherConversation = command('elsewhere', {
      conversationId: 'a_c',
      receiverId: 'c',
      acceptedAt: accepted,
    });
    await Promise.all([late, inFlight, otherConversation].map((c) => handle(received(c))));
    expect(rejected()).toEqual(['TIMEOUT', 'TIMEOUT']);
    expect(stored).toEqual(['elsewhere']);

    await new Promise((resolve) => setTimeout(resolve, 2));
    await handle(received(command('sent again')));
    expect(stored).toEqual(['elsewhere', 'sent again']);
  });

  it('when a clientMessageId comes back with another text, then it is refused and the stored text stays', async () => {
    const { publisher, rejected } = recordingPublisher();
    const first = command('original');
    const store: MessageStorePort = {
      findByClientMessageIds: async () => [],
      storeEntitledMessages: async (inputs) =>
        inputs.map((input) => ({
          message: {
            ...input,
            body: 'original',
            id: randomUUID(),
            seq: 1,
            createdAt: new Date(),
            editedAt: null,
            read: false,
            delivered: false,
          },
          created: false,
        })),
    };
    const handle = handlerWith(store, publisher);
    await handle(received({ ...first, message: 'changed' }));
    await handle(received(first));
    expect(rejected()).toEqual(['CLIENT_MESSAGE_ID_REUSED']);
  });

  it('when a command is malformed, then it alone fails as poison', async () => {
    const { store, stored } = createStore();
    const handle = handlerWith(store);
    const [bad, good] = await Promise.allSettled([
      handle(received({ type: 'chat.send-message.v1' } as SendMessageCommandV1)),
      handle(received(command('fine'))),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { name: 'PoisonMessageError' } });
    expect(good.status).toBe('fulfilled');
    expect(stored).toEqual(['fine']);
  });

  it('when a batch message from an edge holds several commands, then each is stored in order and the message settles once all are', async () => {
    const { store, stored } = createStore();
    const handle = handlerWith(store);
    const batch = {
      type: 'chat.send-message-batch.v1',
      commands: [command('one'), command('two'), command('three')],
    };
    await handle(received(batch as unknown as SendMessageCommandV1));
    expect(stored).toEqual(['one', 'two', 'three']);
  });

  it('when one command of a batch message is malformed, then the others are stored and the message is parked naming that command', async () => {
    const { store, stored } = createStore();
    const handle = handlerWith(store);
    const batch = {
      type: 'chat.send-message-batch.v1',
      commands: [command('one'), { type: 'chat.send-message.v1' }, command('three')],
    };
    await expect(handle(received(batch as unknown as SendMessageCommandV1))).rejects.toMatchObject({
      name: 'PoisonMessageError',
      message: expect.stringMatching(/^command 1: invalid chat.send-message.v1/),
    });
    expect(stored).toEqual(['one', 'three']);
  });

  it('when a command comes back after its deadline but was stored before (its deliveries unconfirmed), then it is announced again, new-message included, not refused', async () => {
    const { store, stored } = createStore();
    const { publisher, deliveries, rejected } = recordingPublisher();
    const handle = handlerWith(store, publisher);
    const first = command('stored before the outage');
    await handle(received(first));
    deliveries.length = 0;

    const late = { ...first, expiresAt: new Date(Date.now() - 1).toISOString() };
    await handle({ ...received(late), redelivered: true } as ReceivedMessage);

    expect(rejected()).toEqual([]);
    expect(deliveries.map((d) => d.event).sort()).toEqual(['message-sent', 'new-message']);
    expect(stored).toEqual(['stored before the outage']);
  });
});
