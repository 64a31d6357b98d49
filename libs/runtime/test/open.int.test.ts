import { createLogger } from '@chat/observability';
import { openBroker, openDb, openRedis, type Closer } from '@chat/runtime';
import { testNamespace, testServiceUrls } from '@chat/testing';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A closer that records what was registered and closes it last first, as createCloser does. */
function recordingCloser() {
  const resources: { close(): Promise<unknown> }[] = [];
  const closer: Closer = {
    add(resource) {
      resources.push(resource);
      return resource;
    },
  };
  const closeAll = async () => {
    for (const resource of resources.reverse()) await resource.close();
  };
  return { closer, resources, closeAll };
}

describe('opening what a service needs', () => {
  const urls = testServiceUrls();

  it('when PostgreSQL, Redis and RabbitMQ answer, then each is opened, answered a ping and is registered for closing', async () => {
    const { closer, resources, closeAll } = recordingCloser();
    const db = await openDb(
      closer,
      { databaseUrl: urls.databaseUrl, databasePoolMax: 2, databaseStatementTimeoutMs: 5_000 },
      logger,
    );
    const namespace = testNamespace('runtime');
    const redis = await openRedis(closer, { redisUrl: urls.redisUrl, namespace }, logger);
    const broker = await openBroker(
      closer,
      { rabbitmqUrl: urls.rabbitmqUrl },
      'test:runtime',
      logger,
    );

    expect(resources).toEqual([db, redis, broker]);
    await expect(db.ping()).resolves.toBeUndefined();
    // Keys land under the namespace's prefix, so runs never see each other's data.
    await redis.redis.set('probe', '1', 'EX', 5);
    expect(await redis.redis.get('probe')).toBe('1');
    expect(redis.redis.options.keyPrefix).toContain(namespace);
    await closeAll();
  });

  it('when PostgreSQL does not answer, then openDb rejects and the pool it made is already registered, so shutdown closes it', async () => {
    const { closer, resources, closeAll } = recordingCloser();
    await expect(
      openDb(
        closer,
        {
          databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere',
          databasePoolMax: 1,
          databaseStatementTimeoutMs: 1_000,
        },
        logger,
      ),
    ).rejects.toThrow();
    expect(resources).toHaveLength(1);
    await expect(closeAll()).resolves.toBeUndefined();
  });
});
