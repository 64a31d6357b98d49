import type { ChatClientError, ConnectionState } from '@chat/chat-client';
import { mintToken } from '@chat/testing';
import {
  bookedPair,
  eventually,
  startChatSystem,
  untilState,
  type ChatSystem,
} from '../support/chat-system';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tokens, with token-expiring notices', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    system = await startChatSystem('cc-token-notice', { env: { TOKEN_EXPIRY_NOTICE_SEC: '2' } });
  });
  afterAll(() => system?.close());

  it('when the server says the token is expiring, then the client sends a fresh one with auth and the same connection outlives the first token', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = await system.client(sender, { tokenLifetime: 4 });
    const states: ConnectionState[] = [];
    alice.client.on('connection', (state) => states.push(state));
    const errors: ChatClientError[] = [];
    alice.client.on('error', (error) => errors.push(error));

    // The first token ends 4 s after it was made; the notice comes 2 s before.
    await sleep(5500);
    const stored = await alice.client.send(conversationId, receiver, 'still here');

    expect(stored.seq).toBe(1);
    expect(alice.tokensIssued).toBeGreaterThanOrEqual(2);
    expect(states).toEqual([]);
    expect(errors).toEqual([]);
  }, 15_000);

  it('when the fresh token is refused by auth, then the client reports it and reconnects with another fresh token', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    // The handshake's token ends in 3 s; the next one is someone else's (FORBIDDEN).
    const tokens = [mintToken(sender, { expiresIn: 3 }), mintToken(receiver)];
    const alice = await system.client(sender, {
      getToken: () => tokens.shift() ?? mintToken(sender),
    });
    const errors: ChatClientError[] = [];
    alice.client.on('error', (error) => errors.push(error));

    await untilState(alice.client, 'offline', 5000);
    await untilState(alice.client, 'online');
    const stored = await alice.client.send(conversationId, receiver, 'as myself');

    expect(errors.map((error) => [error.code, error.event])).toEqual([['FORBIDDEN', 'auth']]);
    expect(stored.senderId).toBe(sender);
    expect(alice.client.userId).toBe(sender);
  });
});

describe('tokens, without notices', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    system = await startChatSystem('cc-token-expiry', { env: { TOKEN_EXPIRY_NOTICE_SEC: '0' } });
  });
  afterAll(() => system?.close());

  it('when the token expires and the server disconnects with TOKEN_EXPIRED, then the client reconnects with a fresh token and sends again', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = await system.client(sender, { tokenLifetime: 2 });
    const errors: string[] = [];
    alice.client.on('error', (error) => errors.push(error.code));

    await untilState(alice.client, 'offline', 5000);
    const stored = await alice.client.send(conversationId, receiver, 'after the expiry');
    await untilState(alice.client, 'online');

    expect(stored.message).toBe('after the expiry');
    expect(errors).toContain('TOKEN_EXPIRED');
    expect(alice.tokensIssued).toBeGreaterThanOrEqual(2);
  });

  it('when the handshake refuses the token, then the client reports UNAUTHENTICATED, asks for another token and connects with it', async () => {
    const { sender } = await bookedPair(system.stack.db);
    const tokens = [mintToken(sender, { secret: 'not-the-secret-the-server-knows-at-all' })];
    const errors: string[] = [];
    const alice = await system.client(sender, {
      getToken: () => tokens.shift() ?? mintToken(sender),
      autoConnect: false,
      noWait: true,
    });
    alice.client.on('error', (error) => errors.push(error.code));
    alice.client.connect();

    await untilState(alice.client, 'online');
    await eventually('the refusal to be reported', () => errors.length > 0);
    expect(errors).toEqual(['UNAUTHENTICATED']);
  });
});
