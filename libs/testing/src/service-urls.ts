/** Where the real services are: what global-setup put in the environment, or the local defaults. */
export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
}

export const LOCAL_SERVICE_URLS: ServiceUrls = {
  databaseUrl: 'postgresql://postgres@127.0.0.1:5432/postgres',
  redisUrl: 'redis://127.0.0.1:6379/0',
  rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672',
};

export function testServiceUrls(env: NodeJS.ProcessEnv = process.env): ServiceUrls {
  return {
    databaseUrl: env.DATABASE_URL || LOCAL_SERVICE_URLS.databaseUrl,
    redisUrl: env.REDIS_URL || LOCAL_SERVICE_URLS.redisUrl,
    rabbitmqUrl: env.RABBITMQ_URL || LOCAL_SERVICE_URLS.rabbitmqUrl,
  };
}

/** The id of this test run, set by global-setup; every namespace and database of the run carries it. */
export function testRunId(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHAT_TEST_RUN_ID || 'local';
}

/**
 * A namespace of its own for one test file or test: `t<run>-<label>-<random>`, so queues,
 * exchanges and Redis keys of concurrent tests and runs never meet. Fits CHAT_NAMESPACE's rules.
 */
export function testNamespace(label = 'x'): string {
  const cleanLabel =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8) || 'x';
  const random = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  return `t${testRunId()}-${cleanLabel}-${random}`.slice(0, 32);
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
