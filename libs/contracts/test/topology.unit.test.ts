import { redisKeyNamespace, topologyNames } from '@chat/contracts';

describe('namespaces of Redis keys', () => {
  it.each([
    ['staging:chat:presence:u1', 'staging'],
    ['t1-run-x:chat:rl:send:u1', 't1-run-x'],
    ['chat:presence:u1', ''],
    ['chat:offline:u1:chat:x', ''],
    // Namespace "chat"'s keys start with the unprefixed namespace's "chat:" too.
    ['chat:chat:presence:u1', 'chat'],
    ['sessions:42', undefined],
    ['Staging:chat:presence:u1', undefined],
  ])('when the key is %s, then it belongs to namespace %j', (key, namespace) => {
    expect(redisKeyNamespace(key)).toBe(namespace);
  });

  it('when a key is made with a namespace’s prefix, then it is read back as that namespace', () => {
    for (const namespace of ['', 'staging', 'chat', 'a-b_c']) {
      const key = `${topologyNames(namespace).redisKeyPrefix}presence:u1`;
      expect({ key, namespace: redisKeyNamespace(key) }).toEqual({ key, namespace });
    }
  });
});
