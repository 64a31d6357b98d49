import { canonicalConversationId } from '@chat/contracts';
import { conversationRoom } from '../../services/socket-edge/src/entry-points/socket/rooms';
import {
  confirmBooking,
  collect,
  connectUser,
  newUserId,
  nextEvent,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

const MAX_ROOMS = 2;
const JOIN_LIMIT = 6;

describe('conversation rooms: who may join, and how many', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'rooms',
      messageServices: 0,
      env: {
        MAX_ROOMS_PER_SOCKET: String(MAX_ROOMS),
        JOIN_RATE_LIMIT: String(JOIN_LIMIT),
        JOIN_RATE_WINDOW_SEC: '60',
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => stack?.close());

  const connect = async (userId: string) => {
    const { socket } = await connectUser(stack.edgeUrls[0]!, userId);
    sockets.push(socket);
    return socket;
  };
  /** The answer to one join: 'joined', or the error's code. */
  const join = (socket: ClientSocket, conversationId: string) =>
    new Promise<string>((resolve) => {
      const answer = (outcome: string) => {
        socket.off('joined-conversation', joined);
        socket.off('error', failed);
        resolve(outcome);
      };
      const joined = () => answer('joined');
      const failed = ({ code }: { code: string }) => answer(code);
      socket.once('joined-conversation', joined);
      socket.once('error', failed);
      socket.emit('join-conversation', conversationId);
    });
  const leave = async (socket: ClientSocket, conversationId: string) => {
    const left = nextEvent(socket, 'left-conversation');
    socket.emit('leave-conversation', conversationId);
    await left;
  };
  const serverRooms = (userId: string) =>
    [...stack.edges[0]!.io.of('/').sockets.values()]
      .filter((socket) => socket.data.user.userId === userId)
      .flatMap((socket) => [...socket.rooms].filter((room) => room.startsWith('conversation:')));
  const bookedPartner = async (userId: string) => {
    const partner = newUserId('partner');
    await confirmBooking(stack.db, userId, partner);
    return canonicalConversationId(userId, partner);
  };

  it('when the id names the user and a stranger with no booking or conversation, then NOT_A_MEMBER and no room', async () => {
    const user = newUserId();
    const socket = await connect(user);
    const withStranger = canonicalConversationId(user, newUserId('stranger'));

    expect(await join(socket, withStranger)).toBe('NOT_A_MEMBER');
    expect(serverRooms(user)).toEqual([]);
  });

  it('when the two share a conversation without a booking the projection knows, then the member may join', async () => {
    const [user, partner] = [newUserId(), newUserId('old-partner')];
    const conversationId = canonicalConversationId(user, partner);
    await stack.db.knex('conversations').insert({ id: conversationId });
    await stack.db.knex('conversation_members').insert([
      { conversation_id: conversationId, user_id: user },
      { conversation_id: conversationId, user_id: partner },
    ]);
    const socket = await connect(user);

    expect(await join(socket, conversationId)).toBe('joined');
    expect(serverRooms(user)).toEqual([conversationRoom(conversationId)]);
  });

  it('when a burst of joins comes at once, then each gets its own answer in order', async () => {
    const user = newUserId();
    const socket = await connect(user);
    const booked = await bookedPartner(user);
    const stranger = canonicalConversationId(user, newUserId('stranger'));
    const answers: string[] = [];
    socket.on('joined-conversation', ({ conversationId }) =>
      answers.push(`joined ${conversationId}`),
    );
    socket.on('left-conversation', ({ conversationId }) => answers.push(`left ${conversationId}`));
    socket.on('error', ({ code }) => answers.push(code));
    const sentinel = nextEvent(socket, 'left-conversation');

    socket.emit('join-conversation', stranger);
    socket.emit('join-conversation', booked);
    // A leave right behind a join whose check is running must not be overtaken by it.
    socket.emit('leave-conversation', booked);
    await sentinel;

    expect(answers).toEqual(['NOT_A_MEMBER', `joined ${booked}`, `left ${booked}`]);
    expect(serverRooms(user)).toEqual([]);
  });

  it('when a socket is in MAX_ROOMS_PER_SOCKET rooms, then one more is TOO_MANY_ROOMS, a re-join costs nothing, and leaving frees a place', async () => {
    const user = newUserId();
    const socket = await connect(user);
    const [a, b, c] = [
      await bookedPartner(user),
      await bookedPartner(user),
      await bookedPartner(user),
    ];

    expect(await join(socket, a)).toBe('joined');
    expect(await join(socket, b)).toBe('joined');
    expect(await join(socket, a)).toBe('joined');
    expect(await join(socket, c)).toBe('TOO_MANY_ROOMS');
    expect(serverRooms(user).sort()).toEqual([conversationRoom(a), conversationRoom(b)].sort());

    await leave(socket, a);
    expect(await join(socket, c)).toBe('joined');
    expect(socket.connected).toBe(true);
  });

  it('when a socket joins more than JOIN_RATE_LIMIT times in the window, then the excess gets RATE_LIMITED while another socket of the user still joins', async () => {
    const user = newUserId();
    const socket = await connect(user);
    const other = await connect(user);
    const conversationId = await bookedPartner(user);
    const errors = collect(socket, 'error');

    const answers: string[] = [];
    for (let i = 0; i < JOIN_LIMIT + 2; i++) answers.push(await join(socket, conversationId));

    expect(answers).toEqual([...Array(JOIN_LIMIT).fill('joined'), 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(errors[0]).toMatchObject({ event: 'join-conversation', message: /try again in \d+ s/ });
    expect(await join(other, conversationId)).toBe('joined');
  });
});
