import { randomUUID } from 'node:crypto';
import type { ChatPublisher, ReceivedMessage } from '@chat/broker';
import type { MessageRecord, SendMessageCommandV1 } from '@chat/contracts';
import { createLogger } from '@chat/observability';
import { createSendMessageHandler, type MessageStorePort } from '../src/send-message-handler';

const logger = createLogger({ service: 'test', level: 'silent' });

const command = (message: string): SendMessageCommandV1 => ({
  type: 'chat.send-message.v1',
  conversationId: 'a_b',
  senderId: 'a',
  receiverId: 'b',
  message,
  clientMessageId: randomUUID(),
  acceptedAt: new Date().toISOString(),
  correlationId: randomUUID(),
});

const received = (body: SendMessageCommandV1) =>
  ({ json: () => body, redelivered: false, headers: {} }) as unknown as ReceivedMessage;

/** A store that keeps bodies in call order and fails the first calls with `failures`. */
function createStore(failures: unknown[]) {
  const stored: string[] = [];
  const store: MessageStorePort = {
    async storeMessage(input) {
      const failure = failures.shift();
      if (failure) throw failure;
      stored.push(input.body);
      const message: MessageRecord = {
        ...input,
        id: randomUUID(),
        seq: stored.length,
        createdAt: new Date(),
        editedAt: null,
        read: false,
      };
      return { message, created: true };
    },
  };
  return { store, stored };
}

const publisher: ChatPublisher = {
  deliver: async () => undefined,
  emitEvent: async () => undefined,
};

const handlerWith = (store: MessageStorePort) =>
  createSendMessageHandler({
    messages: store,
    entitlements: { assertCanChat: async () => undefined },
    publisher,
    messageMaxLength: 100,
    retryDelaysMs: [5, 5, 5],
    logger,
  });

describe('send command handling under database trouble', () => {
  it('when the database is briefly unavailable, then the message is retried in its turn and the next one waits behind it', async () => {
    const unavailable = Object.assign(new Error('terminating connection'), { code: '57P01' });
    const { store, stored } = createStore([unavailable, unavailable]);
    const handle = handlerWith(store);
    await Promise.all([handle(received(command('first'))), handle(received(command('second')))]);
    expect(stored).toEqual(['first', 'second']);
  });

  it('when a store fails for another reason, then that command fails at once and the next one still goes through', async () => {
    const { store, stored } = createStore([new Error('check constraint violated')]);
    const handle = handlerWith(store);
    const [first, second] = await Promise.allSettled([
      handle(received(command('first'))),
      handle(received(command('second'))),
    ]);
    expect(first.status).toBe('rejected');
    expect(second.status).toBe('fulfilled');
    expect(stored).toEqual(['second']);
  });

  it('when the database stays away longer than the retries, then the command fails and goes back to the broker', async () => {
    const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { store, stored } = createStore([unavailable, unavailable, unavailable, unavailable]);
    await expect(handlerWith(store)(received(command('late')))).rejects.toThrow('ECONNREFUSED');
    expect(stored).toEqual([]);
  });
});
