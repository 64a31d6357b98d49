import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerConfig {
  /** pino level; default 'info'. */
  level?: LoggerOptions['level'];
  /** Service name written on every line. */
  service: string;
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
 * carries what users wrote or their credentials; error messages stay readable.
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.level ?? 'info',
      base: { service: config.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
