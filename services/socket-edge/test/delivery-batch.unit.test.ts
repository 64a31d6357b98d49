import { PoisonMessageError } from '@chat/broker';
import { delivery, type ChatMessage } from '@chat/contracts';
import { parseDeliveries } from '../src/entry-points/broker/delivery-router';

const message = (senderId: string): ChatMessage => ({
  id: `m-${senderId}`,
  conversationId: `${senderId}_z`,
  senderId,
  receiverId: 'z',
  message: 'hello',
  timestamp: new Date(0).toISOString(),
  read: false,
  seq: 1,
  clientMessageId: `c-${senderId}`,
});
const sent = (userId: string) => delivery(userId, 'message-sent', message(userId));
const batch = (deliveries: unknown[]) => ({ type: 'chat.delivery-batch.v1', deliveries });
const local =
  (...users: string[]) =>
  (userId: unknown) =>
    users.includes(userId as string);

describe('delivery batches at the edge', () => {
  it('when a batch arrives, then only the deliveries of users with a socket here are handed on, in batch order', () => {
    const { deliveries, invalid } = parseDeliveries(
      batch([sent('a'), sent('b'), sent('c')]),
      local('c', 'a'),
    );
    expect(deliveries.map((d) => d.userId)).toEqual(['a', 'c']);
    expect(invalid).toEqual([]);
  });

  it('when an item of a local user is malformed, then the valid items are still handed on and the bad one is named', () => {
    const bad = { ...sent('b'), payload: { id: 'no-seq' } };
    const { deliveries, invalid } = parseDeliveries(
      batch([sent('a'), bad, sent('c')]),
      local('a', 'b', 'c'),
    );
    expect(deliveries.map((d) => d.userId)).toEqual(['a', 'c']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatch(/^item 1: payload\./);
  });

  it('when a malformed item belongs to a user who is not here, then it is not even parsed', () => {
    const bad = { ...sent('b'), payload: 'garbage' };
    expect(parseDeliveries(batch([bad, sent('a')]), local('a')).invalid).toEqual([]);
  });

  it('when a plain delivery arrives, then it is handed on whoever is here (the router decides about offline)', () => {
    const { deliveries } = parseDeliveries(sent('a'), local());
    expect(deliveries).toEqual([sent('a')]);
  });

  it('when the envelope is malformed or empty, then it is poison', () => {
    expect(() => parseDeliveries(batch([]), local('a'))).toThrow(PoisonMessageError);
    expect(() => parseDeliveries({ type: 'chat.delivery-batch.v1' }, local('a'))).toThrow(
      /invalid chat.delivery-batch.v1: deliveries/,
    );
    expect(() => parseDeliveries({ type: 'something-else' }, local('a'))).toThrow(
      /invalid chat.delivery.v1/,
    );
  });
});
