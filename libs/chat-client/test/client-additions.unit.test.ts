import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { createChatClient, type ChatClient, type TypingNotice } from '@chat/chat-client';
import { message } from './support/messages';

/*
 * The client's side of typing and delivery receipts (issue #12) against a stand-in Socket.IO
 * server that speaks the agreed wire format: it records what the client emits and emits what
 * the real server will. The client's other behaviour is tested against the real system.
 */
interface StandIn {
  url: string;
  /** Every client event after `connected`, with its payload. */
  received: [string, unknown][];
  socket(): Socket;
  close(): Promise<void>;
}

/** What the stand-in does on connection before `connected`, and what `connected` reports. */
interface Greeting {
  early?: (socket: Socket) => void;
  partnerPresence?: { userId: string; online: boolean }[];
}

async function startStandIn(userId: string, greeting: Greeting = {}): Promise<StandIn> {
  const http: HttpServer = createServer();
  const io = new Server(http);
  const received: [string, unknown][] = [];
  let current: Socket | undefined;
  let seq = 0;
  io.on('connection', (socket) => {
    current = socket;
    socket.onAny((event: string, payload: unknown, ack?: unknown) => {
      received.push([event, payload]);
      if (typeof ack !== 'function') return;
      if (event === 'send-message') {
        const send = payload as {
          conversationId: string;
          receiverId: string;
          message: string;
          clientMessageId: string;
        };
        ack({
          ok: true,
          message: message(++seq, {
            conversationId: send.conversationId,
            senderId: userId,
            receiverId: send.receiverId,
            message: send.message,
            clientMessageId: send.clientMessageId,
            id: `stored-${seq}`,
          }),
        });
      } else {
        ack({ ok: true });
      }
    });
    greeting.early?.(socket);
    socket.emit('connected', {
      userId,
      socketId: socket.id,
      timestamp: new Date().toISOString(),
      queuedMessages: [],
      unreadCount: 0,
      ...(greeting.partnerPresence && { partnerPresence: greeting.partnerPresence }),
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    received,
    socket: () => current!,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

const until = async (what: string, check: () => boolean) => {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 5000) throw new Error(`expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('partners’ presence at connect', () => {
  let standIn: StandIn | undefined;
  let client: ChatClient | undefined;
  afterEach(async () => {
    await client?.close();
    await standIn?.close();
  });

  const connect = async (greeting: Greeting) => {
    standIn = await startStandIn('b', greeting);
    client = createChatClient({
      url: standIn.url,
      getToken: () => 'token',
      socketOptions: { transports: ['websocket'] },
    });
    await until('the client to be online', () => client!.state === 'online');
    return client;
  };

  it('when connected reports partners, then each is online or offline at once and others stay unknown', async () => {
    const chat = await connect({
      partnerPresence: [
        { userId: 'p', online: true },
        { userId: 'q', online: false },
      ],
    });
    expect([chat.presenceOf('p'), chat.presenceOf('q'), chat.presenceOf('r')]).toEqual([
      'online',
      'offline',
      'unknown',
    ]);
  });

  it('when a presence change comes before connected, then it wins over the report, which was read earlier', async () => {
    const chat = await connect({
      early: (socket) => {
        socket.emit('user-offline', { userId: 'p' });
        socket.emit('user-online', { userId: 'q' });
      },
      partnerPresence: [
        { userId: 'p', online: true },
        { userId: 'q', online: false },
      ],
    });
    expect([chat.presenceOf('p'), chat.presenceOf('q')]).toEqual(['offline', 'online']);
  });

  it('when an older server sends no partnerPresence, then presence comes from changes alone', async () => {
    const chat = await connect({});
    expect(chat.presenceOf('p')).toBe('unknown');
    standIn!.socket().emit('user-online', { userId: 'p' });
    await until('p to be online', () => chat.presenceOf('p') === 'online');
  });
});

describe('typing and delivery receipts on the wire', () => {
  let standIn: StandIn;
  let client: ChatClient;

  beforeEach(async () => {
    standIn = await startStandIn('b');
    client = createChatClient({
      url: standIn.url,
      getToken: () => 'token',
      socketOptions: { transports: ['websocket'] },
      typing: { refreshMs: 200, idleMs: 300, showMs: 300 },
      deliveryReceiptIntervalMs: 100,
    });
    await until('the client to be online', () => client.state === 'online');
  });
  afterEach(async () => {
    await client.close();
    await standIn.close();
  });

  const sent = (event: string) =>
    standIn.received.filter(([name]) => name === event).map(([, payload]) => payload);

  it('when the user types, then typing true goes out throttled and false follows when the user stops', async () => {
    client.setTyping('a_b', true);
    client.setTyping('a_b', true);
    await until('typing false', () => sent('typing').length === 2);
    expect(sent('typing')).toEqual([
      { conversationId: 'a_b', isTyping: true },
      { conversationId: 'a_b', isTyping: false },
    ]);
  });

  it('when the partner’s typing notices come, then typing events and typingIn follow, and a true not renewed ends by itself', async () => {
    const changes: TypingNotice[] = [];
    client.on('typing', (notice) => changes.push(notice));
    standIn.socket().emit('typing', { conversationId: 'a_b', userId: 'a', isTyping: true });
    await until('the partner to be typing', () => client.typingIn('a_b').length === 1);
    expect(client.typingIn('a_b')).toEqual(['a']);
    await until('the typing to end by itself', () => changes.length === 2);
    expect(changes.map((notice) => notice.isTyping)).toEqual([true, false]);
  });

  it('when messages to the user arrive, then mark-delivered goes out with the highest seq, coalesced', async () => {
    for (let seq = 1; seq <= 20; seq++) standIn.socket().emit('new-message', message(seq));
    await until('a receipt for seq 20', () =>
      sent('mark-delivered').some((payload) => (payload as { upToSeq: number }).upToSeq === 20),
    );
    const receipts = sent('mark-delivered');
    expect(receipts.length).toBeLessThanOrEqual(2);
    expect(receipts.at(-1)).toEqual({ conversationId: 'a_b', upToSeq: 20 });
  });

  it('when message-delivered comes for the user’s own messages, then their status becomes delivered', async () => {
    const stored = await client.send('a_b', 'a', 'hello', { clientMessageId: 'mine' });
    expect(client.statusOf('mine')).toBe('sent');
    const delivered: number[] = [];
    client.on('delivered', (receipt) => delivered.push(receipt.upToSeq));
    standIn.socket().emit('message-delivered', {
      conversationId: 'a_b',
      receiverId: 'a',
      upToSeq: stored.seq,
      upToMessageId: stored.id,
      deliveredAt: new Date().toISOString(),
    });
    await until('the status to be delivered', () => client.statusOf('mine') === 'delivered');
    expect(delivered).toEqual([stored.seq]);
  });
});
