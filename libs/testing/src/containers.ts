import type { ServiceUrls } from './service-urls';

interface StartedContainer {
  stop(): Promise<unknown>;
}

// Global setup and teardown run in the same process but not always the same module instance.
const holder = globalThis as { __chatTestContainers?: StartedContainer[] };

/**
 * When a Docker engine answers (and CHAT_TEST_CONTAINERS is not "off"), starts PostgreSQL,
 * Redis and RabbitMQ containers and returns their URLs; otherwise returns undefined and the
 * tests use the services named in the environment.
 */
export async function startContainersIfDockerAnswers(): Promise<ServiceUrls | undefined> {
  if (process.env.CHAT_TEST_CONTAINERS === 'off') return undefined;
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await withTimeout(getContainerRuntimeClient(), 5000);
  } catch {
    return undefined;
  }
  const [{ PostgreSqlContainer }, { RedisContainer }, { RabbitMQContainer }] = await Promise.all([
    import('@testcontainers/postgresql'),
    import('@testcontainers/redis'),
    import('@testcontainers/rabbitmq'),
  ]);
  const [postgres, redis, rabbit] = await Promise.all([
    new PostgreSqlContainer('postgres:16-alpine')
      .withUsername('postgres')
      .withPassword('postgres')
      .start(),
    new RedisContainer('redis:7-alpine').start(),
    new RabbitMQContainer('rabbitmq:3.13-alpine').start(),
  ]);
  holder.__chatTestContainers = [postgres, redis, rabbit];
  return {
    databaseUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    rabbitmqUrl: rabbit.getAmqpUrl(),
  };
}

export async function stopContainers(): Promise<void> {
  const containers = holder.__chatTestContainers ?? [];
  holder.__chatTestContainers = [];
  await Promise.all(containers.map((c) => c.stop()));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
