import { z } from 'zod';
import {
  ConfigError,
  describeConfig,
  envVar,
  loadConfig,
  parse,
  sharedEnv,
  type ConfigSpec,
} from '@chat/config';

const spec = {
  port: envVar('TEST_PORT', parse.port(3006), 'Port to listen on'),
  databaseUrl: envVar('TEST_DATABASE_URL', parse.url(['postgres', 'postgresql']), 'Database'),
  statuses: envVar('TEST_STATUSES', parse.csv(['confirmed']), 'Booking statuses that allow chat'),
  verbose: envVar('TEST_VERBOSE', parse.boolean(false), 'Log more'),
  secret: envVar(
    'TEST_SECRET',
    z.string().min(16, 'must be at least 16 characters').optional(),
    'Secret',
  ),
} as const satisfies ConfigSpec;

const required = { TEST_DATABASE_URL: 'postgresql://db.internal:5432/chat' };

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('when only the required variables are set, then every other key gets its default', () => {
    expect(loadConfig(spec, required)).toEqual({
      port: 3006,
      databaseUrl: 'postgresql://db.internal:5432/chat',
      statuses: ['confirmed'],
      verbose: false,
      secret: undefined,
    });
  });

  it('when values are set, then they are parsed into typed values', () => {
    const config = loadConfig(spec, {
      ...required,
      TEST_PORT: '8080',
      TEST_STATUSES: 'confirmed,completed',
      TEST_VERBOSE: 'true',
      TEST_SECRET: 'a-secret-of-enough-length',
    });

    expect(config).toMatchObject({
      port: 8080,
      statuses: ['confirmed', 'completed'],
      verbose: true,
      secret: 'a-secret-of-enough-length',
    });
  });

  it('when a required variable is missing, then a ConfigError names it', () => {
    const error = configErrorOf(() => loadConfig(spec, {}));

    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual([
      { env: 'TEST_DATABASE_URL', message: 'is required but not set' },
    ]);
    expect(error.message).toContain('TEST_DATABASE_URL: is required but not set');
  });

  it('when one variable is missing and others are invalid, then all problems are reported at once', () => {
    const error = configErrorOf(() =>
      loadConfig(spec, { TEST_PORT: 'http', TEST_VERBOSE: 'maybe', TEST_SECRET: 'short' }),
    );

    expect(error.problems.map((p) => p.env)).toEqual([
      'TEST_PORT',
      'TEST_DATABASE_URL',
      'TEST_VERBOSE',
      'TEST_SECRET',
    ]);
    expect(error.message).toMatch(/TEST_PORT: must be a port number/);
    expect(error.message).toMatch(/TEST_DATABASE_URL: is required but not set/);
    expect(error.message).toMatch(/TEST_VERBOSE: must be true or false/);
    expect(error.message).toMatch(/TEST_SECRET: must be at least 16 characters/);
  });

  it('when a value is invalid, then the message does not repeat the value', () => {
    const error = configErrorOf(() => loadConfig(spec, { ...required, TEST_SECRET: 'hunter2' }));

    expect(error.message).not.toContain('hunter2');
  });

  it('when a variable is an empty or blank string, then it counts as unset', () => {
    expect(loadConfig(spec, { ...required, TEST_PORT: '', TEST_STATUSES: '' })).toMatchObject({
      port: 3006,
      statuses: ['confirmed'],
    });
    expect(loadConfig(spec, { ...required, TEST_PORT: '   ' }).port).toBe(3006);
    expect(configErrorOf(() => loadConfig(spec, { TEST_DATABASE_URL: '' })).problems).toEqual([
      { env: 'TEST_DATABASE_URL', message: 'is required but not set' },
    ]);
  });

  it('when the config is loaded, then the result is frozen', () => {
    const config = loadConfig(spec, required);

    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('when loaded twice, then the two results do not share default arrays', () => {
    const first = loadConfig(spec, required);
    const second = loadConfig(spec, required);

    expect(first.statuses).not.toBe(second.statuses);
  });

  it('when no env is passed, then process.env is read', () => {
    const saved = process.env.TEST_DATABASE_URL;
    process.env.TEST_DATABASE_URL = 'postgres://from-process-env/chat';
    try {
      expect(loadConfig(spec).databaseUrl).toBe('postgres://from-process-env/chat');
    } finally {
      if (saved === undefined) delete process.env.TEST_DATABASE_URL;
      else process.env.TEST_DATABASE_URL = saved;
    }
  });

  it('when the shared variables are all unset, then they load with local defaults', () => {
    expect(loadConfig(sharedEnv, {})).toMatchObject({
      nodeEnv: 'development',
      logLevel: 'info',
      namespace: undefined,
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/tutorgo_chat',
      redisUrl: 'redis://127.0.0.1:6379/0',
      rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672',
      jwtSecret: undefined,
      chatServicePort: 3006,
    });
  });

  it('when shared variables are invalid, then each one is named', () => {
    const error = configErrorOf(() =>
      loadConfig(sharedEnv, {
        CHAT_NAMESPACE: 'Not Valid',
        REDIS_URL: 'http://127.0.0.1:6379',
        JWT_PUBLIC_KEY: 'not a pem',
        LOG_LEVEL: 'loud',
      }),
    );

    expect(error.problems.map((p) => p.env).sort()).toEqual([
      'CHAT_NAMESPACE',
      'JWT_PUBLIC_KEY',
      'LOG_LEVEL',
      'REDIS_URL',
    ]);
  });
});

describe('parsers', () => {
  const valueOf = <T extends z.ZodType>(schema: T, raw: string | undefined) => {
    const parsed = schema.safeParse(raw);
    return parsed.success ? { value: parsed.data } : { error: parsed.error.issues[0]?.message };
  };

  it.each([
    ['0', { value: 0 }],
    ['65535', { value: 65535 }],
    ['65536', { error: 'must be between 0 and 65535' }],
    ['-1', { error: 'must be between 0 and 65535' }],
    ['80.5', { error: 'must be a whole number' }],
    ['eighty', { error: 'must be a port number' }],
  ])('when a port is %j, then it parses to %j', (raw, expected) => {
    expect(valueOf(parse.port(3006), raw)).toEqual(expected);
  });

  it.each([
    ['10', { value: 10 }],
    ['0', { error: 'must be greater than 0' }],
    ['201', { error: 'must be at most 200' }],
    ['ten', { error: 'must be a number' }],
  ])('when a positive int is %j, then it parses to %j', (raw, expected) => {
    expect(valueOf(parse.positiveInt(5, 200), raw)).toEqual(expected);
  });

  it.each([
    ['amqp://guest:guest@rabbit:5672/chat', true],
    ['amqps://rabbit.example.com', true],
    ['http://rabbit:5672', false],
    ['rabbit:5672', false],
    ['not a url', false],
  ])('when a URL is %j, then accepted is %s', (raw, accepted) => {
    const result = valueOf(parse.url(['amqp', 'amqps']), raw);

    expect('value' in result).toBe(accepted);
    if (!accepted)
      expect(result).toEqual({ error: 'must be a URL starting with amqp:// or amqps://' });
  });

  it('when a URL parser has a fallback, then unset gives the fallback', () => {
    expect(valueOf(parse.url(['redis'], 'redis://localhost:6379'), undefined)).toEqual({
      value: 'redis://localhost:6379',
    });
  });

  it.each([
    ['confirmed', ['confirmed']],
    [' confirmed , completed ', ['confirmed', 'completed']],
    ['a,,b,', ['a', 'b']],
  ])('when a csv is %j, then it parses to %j', (raw, expected) => {
    expect(valueOf(parse.csv(['x']), raw)).toEqual({ value: expected });
  });

  it('when a csv lists nothing but commas, then it is refused', () => {
    expect(valueOf(parse.csv(['x']), ' , ,')).toEqual({ error: 'must list at least one value' });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('when a boolean is %j, then it parses to %s', (raw, expected) => {
    expect(valueOf(parse.boolean(false), raw)).toEqual({ value: expected });
  });

  it('when a boolean is unset, then it takes its fallback', () => {
    expect(valueOf(parse.boolean(true), undefined)).toEqual({ value: true });
    expect(valueOf(parse.boolean(false), undefined)).toEqual({ value: false });
  });

  it('when a boolean is anything else, then it is refused', () => {
    expect(valueOf(parse.boolean(false), 'on')).toEqual({ error: 'must be true or false' });
  });

  it('when an optional boolean is unset, then it stays undefined; set, it parses like a boolean', () => {
    expect(valueOf(parse.optionalBoolean, undefined)).toEqual({ value: undefined });
    expect(valueOf(parse.optionalBoolean, 'yes')).toEqual({ value: true });
    expect(valueOf(parse.optionalBoolean, '0')).toEqual({ value: false });
    expect(valueOf(parse.optionalBoolean, 'on')).toEqual({ error: 'must be true or false' });
  });

  it('when a log level is unknown, then the message lists the levels', () => {
    expect(valueOf(parse.logLevel, 'verbose')).toEqual({
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    });
  });
});

describe('describeConfig', () => {
  it('when a spec is described, then each variable shows its env name, default and meaning', () => {
    expect(describeConfig(spec)).toEqual([
      { env: 'TEST_PORT', default: '3006', description: 'Port to listen on' },
      { env: 'TEST_DATABASE_URL', default: undefined, description: 'Database' },
      {
        env: 'TEST_STATUSES',
        default: 'confirmed',
        description: 'Booking statuses that allow chat',
      },
      { env: 'TEST_VERBOSE', default: 'false', description: 'Log more' },
      { env: 'TEST_SECRET', default: undefined, description: 'Secret' },
    ]);
  });

  it('when a csv default has several values, then they are joined with commas', () => {
    const rows = describeConfig({ s: envVar('S', parse.csv(['confirmed', 'completed']), 'x') });

    expect(rows[0]?.default).toBe('confirmed,completed');
  });

  it('when the shared spec is described, then every variable has a description', () => {
    const rows = describeConfig(sharedEnv);

    expect(rows.map((row) => row.env)).toContain('JWT_SECRET');
    for (const row of rows) expect(row.description.length).toBeGreaterThan(0);
  });
});
