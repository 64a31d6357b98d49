import { createRequire } from 'node:module';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** JSON lines for machines, or one human-readable line per entry for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerConfig {
  /** pino level; default 'info'. */
  level?: LoggerOptions['level'];
  /** Service name written on every line. */
  service: string;
  /** NODE_ENV; 'development' with stdout a terminal logs human-readable lines (chooseLogFormat). */
  nodeEnv?: string;
  /** Overrides chooseLogFormat's choice; default: chosen from nodeEnv and stdout. */
  format?: LogFormat;
}

/**
 * Pretty only for a person watching a terminal in development (npm start's mode when NODE_ENV
 * is unset); JSON for a pipe, a file or a log collector, and always in production, where every
 * line must stay one parseable record.
 */
export function chooseLogFormat(options: {
  nodeEnv: string | undefined;
  stdoutIsTty: boolean;
}): LogFormat {
  return options.nodeEnv === 'development' && options.stdoutIsTty ? 'pretty' : 'json';
}

/**
 * Where credentials and chat text live in what we log; pino replaces them with "[redacted]".
 * Paths, not a blanket `*.message`: an error's `message` and `stack` (with its causes' messages,
 * which pino's err serializer appends) are what an operator needs, and they never carry what a
 * user wrote (database errors are logged with their query values removed). Chat text sits in
 * `message` of a socket payload, a send command or a chat message, and in `body` of a stored one.
 */
const REDACT_PATHS = [
  // Credentials: a JWT, a handshake's auth, an Authorization or Cookie header.
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  // Chat text: a chat message logged as such (`message`), a stored record's `body`, or the
  // `message` field of a payload, command or delivery.
  'message',
  'body',
  '*.body',
  'payload.message',
  'command.message',
  'data.message',
  'delivery.payload.message',
  'deliveries.*.payload.message',
  'messages.*.message',
  'messages.*.body',
  'queuedMessages.*.message',
];

/**
 * The root logger of a process. Modules take `logger.child({ module: 'edge:delivery' })`.
 * Message text and tokens are redacted under the keys of REDACT_PATHS, so a log line never
 * carries what users wrote or their credentials; error messages stay readable. Writes to
 * `destination`, default stdout, in the format chooseLogFormat picks for stdout.
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const format =
    config.format ??
    chooseLogFormat({
      nodeEnv: config.nodeEnv,
      stdoutIsTty: destination === undefined && process.stdout.isTTY === true,
    });
  const pretty = format === 'pretty' ? prettyDestination(destination) : undefined;
  const logger = pino(
    {
      level: config.level ?? 'info',
      base: { service: config.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    pretty ?? destination,
  );
  if (format === 'pretty' && !pretty) {
    logger.warn('pino-pretty is not installed (a production install?): logging JSON');
  }
  return logger;
}

/**
 * pino-pretty writing to `destination` (default stdout), loaded only when asked for: it is a
 * devDependency, absent from a production install, which never asks for it. Synchronous, so
 * the last lines before process.exit are not lost.
 */
function prettyDestination(
  destination?: pino.DestinationStream,
): pino.DestinationStream | undefined {
  let pretty: typeof PinoPretty;
  try {
    pretty = createRequire(__filename)('pino-pretty') as typeof PinoPretty;
  } catch {
    return undefined;
  }
  return pretty({
    destination: destination ?? 1,
    sync: true,
    // Colours for a terminal only; pino-pretty sees whether stdout is one.
    ...(destination && { colorize: false }),
    translateTime: 'SYS:HH:MM:ss.l',
    // "tutorgo-chat edge:delivery: message", the other fields below it.
    messageFormat: '{service}{if module} {module}{end}: {msg}',
    ignore: 'pid,hostname,service,module',
  });
}
