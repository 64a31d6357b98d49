import { ChatClientError } from '../src/errors';
import { createRoomJoins } from '../src/room-joins';

describe('createRoomJoins', () => {
  it('when answers come in the order of the joins, then each join gets its own: joined, or the error that names no conversation', async () => {
    const emitted: string[] = [];
    const joins = createRoomJoins((conversationId) => emitted.push(conversationId));
    const first = joins.join('a_b');
    const second = joins.join('a_c');
    const third = joins.join('a_d');
    expect(emitted).toEqual(['a_b', 'a_c', 'a_d']);

    joins.joined('a_b');
    joins.refused(new ChatClientError('TOO_MANY_ROOMS', 'leave one first'));
    joins.interrupted();

    await expect(first).resolves.toEqual({ kind: 'joined' });
    await expect(second).resolves.toMatchObject({
      kind: 'refused',
      error: { code: 'TOO_MANY_ROOMS' },
    });
    await expect(third).resolves.toEqual({ kind: 'unanswered' });
  });

  it('when an answer comes that no join waits for, then it is ignored', async () => {
    const joins = createRoomJoins(() => undefined);
    joins.joined('a_b');
    joins.refused(new ChatClientError('NOT_A_MEMBER', 'no'));
    const later = joins.join('a_b');
    joins.joined('a_b');
    await expect(later).resolves.toEqual({ kind: 'joined' });
  });
});
