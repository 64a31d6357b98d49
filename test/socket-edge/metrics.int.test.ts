import { canonicalConversationId } from '@chat/contracts';
import {
  metricValue,
  confirmBooking,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

/** A sample to read: from the edge's /metrics or message-service's registry, by name and labels. */
type Reading = readonly [
  source: 'edge' | 'message',
  name: string,
  labels?: Readonly<Record<string, string>>,
];

describe('chat metrics', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({ label: 'metrics' });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  const connect = async (userId: string) => {
    const { socket } = await connectUser(stack.edgeUrls[0]!, userId);
    sockets.push(socket);
    return socket;
  };
  /** What a scrape of the edge's /metrics (on its ops server) returns. */
  const scrapeEdge = async () => {
    const response = await fetch(`${stack.edgeOpsUrls[0]!}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const messageServiceText = () => stack.messageServiceMetrics[0]!.metrics();
  const readAll = async <K extends string>(reads: Record<K, Reading>) => {
    const text = { edge: await scrapeEdge(), message: await messageServiceText() };
    const values = {} as Record<K, number>;
    for (const key of Object.keys(reads) as K[]) {
      const [source, name, labels] = reads[key];
      values[key] = metricValue(text[source], name, labels);
    }
    return values;
  };
  /**
   * Reads the samples now and returns how to read how much each moved since: the stack is
   * shared by this file's tests, so they compare, never expect absolute counts.
   */
  const watch = async <K extends string>(reads: Record<K, Reading>) => {
    const before = await readAll(reads);
    return async () => {
      const after = await readAll(reads);
      const moved = {} as Record<K, number>;
      for (const key of Object.keys(reads) as K[]) moved[key] = after[key] - before[key];
      return moved;
    };
  };

  it('when a student messages an online tutor, then the stored message, its deliveries, the publish and the ack time are counted, and the connected gauge returns to 0 after both disconnect', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(stack.db, student, tutor);
    const conversationId = canonicalConversationId(student, tutor);
    const changes = await watch({
      connections: ['edge', 'chat_socket_connections_total'],
      created: ['message', 'chat_messages_stored_total', { outcome: 'created' }],
      commandsStored: ['message', 'chat_send_command_seconds_count', { outcome: 'stored' }],
      published: ['edge', 'chat_send_requests_total', { result: 'published' }],
      newMessageToSocket: [
        'edge',
        'chat_deliveries_total',
        { event: 'new-message', target: 'socket' },
      ],
      sentToSocket: ['edge', 'chat_deliveries_total', { event: 'message-sent', target: 'socket' }],
      acksStored: ['edge', 'chat_send_ack_seconds_count', { outcome: 'stored' }],
    });

    const studentSocket = await connect(student);
    const tutorSocket = await connect(tutor);
    expect(metricValue(await scrapeEdge(), 'chat_sockets_connected')).toBe(2);
    const arrived = nextEvent(tutorSocket, 'new-message');
    const ack = await sendWithAck(studentSocket, {
      conversationId,
      receiverId: tutor,
      message: 'counted once',
    });
    await arrived;
    expect(ack).toMatchObject({ ok: true });

    // The publish confirm and the command's timing are recorded asynchronously to the ack.
    let moved = await changes();
    await eventually(async () => {
      moved = await changes();
      return moved.published > 0 && moved.commandsStored > 0;
    });
    expect(moved).toEqual({
      connections: 2,
      created: 1,
      commandsStored: 1,
      published: 1,
      newMessageToSocket: 1,
      sentToSocket: 1,
      acksStored: 1,
    });

    studentSocket.disconnect();
    tutorSocket.disconnect();
    await eventually(async () => metricValue(await scrapeEdge(), 'chat_sockets_connected') === 0);
  });

  it('when the edge refuses a send, then it counts as rejected with its code and a failed ack', async () => {
    const sender = newUserId();
    const socket = await connect(sender);
    const changes = await watch({
      rejected: [
        'edge',
        'chat_send_requests_total',
        { result: 'rejected', code: 'VALIDATION_FAILED' },
      ],
      acksFailed: ['edge', 'chat_send_ack_seconds_count', { outcome: 'failed' }],
    });

    const ack = await sendWithAck(socket, { conversationId: 'not-a-conversation' });

    expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await changes()).toEqual({ rejected: 1, acksFailed: 1 });
  });

  it('when message-service refuses a send for lack of a booking, then it counts the refusal by code and the edge counts the send-rejected delivery', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const socket = await connect(student);
    const changes = await watch({
      refused: ['message', 'chat_send_refused_total', { code: 'BOOKING_REQUIRED' }],
      commandsRefused: ['message', 'chat_send_command_seconds_count', { outcome: 'refused' }],
      rejectedToSocket: [
        'edge',
        'chat_deliveries_total',
        { event: 'send-rejected', target: 'socket' },
      ],
    });

    const ack = await sendWithAck(socket, {
      conversationId: canonicalConversationId(student, tutor),
      receiverId: tutor,
      message: 'no booking',
    });

    expect(ack).toMatchObject({ ok: false, error: { code: 'BOOKING_REQUIRED' } });
    let moved = await changes();
    await eventually(async () => {
      moved = await changes();
      return moved.commandsRefused > 0;
    });
    expect(moved).toEqual({ refused: 1, commandsRefused: 1, rejectedToSocket: 1 });
  });

  it('when the receiver is offline, then the delivery counts as offline and as an offline queue push', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(stack.db, student, tutor);
    const socket = await connect(student);
    const changes = await watch({
      offline: ['edge', 'chat_deliveries_total', { event: 'new-message', target: 'offline' }],
      pushes: ['edge', 'chat_offline_queue_pushes_total'],
    });

    const ack = await sendWithAck(socket, {
      conversationId: canonicalConversationId(student, tutor),
      receiverId: tutor,
      message: 'for later',
    });

    expect(ack).toMatchObject({ ok: true });
    let moved = await changes();
    await eventually(async () => {
      moved = await changes();
      return moved.pushes > 0;
    });
    expect(moved).toEqual({ offline: 1, pushes: 1 });
  });

  it('when scraped after messages between users, then no user or conversation id appears in any metric', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(stack.db, student, tutor);
    const conversationId = canonicalConversationId(student, tutor);
    const studentSocket = await connect(student);
    const tutorSocket = await connect(tutor);
    const arrived = nextEvent(tutorSocket, 'new-message');
    await sendWithAck(studentSocket, { conversationId, receiverId: tutor, message: 'private' });
    await arrived;

    const text = (await scrapeEdge()) + (await messageServiceText());

    expect(text).toContain('chat_deliveries_total{');
    for (const secret of [student, tutor, conversationId, 'private']) {
      expect(text).not.toContain(secret);
    }
  });
});
