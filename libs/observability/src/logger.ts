import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerConfig {
  /** pino level; default 'info'. */
  level?: LoggerOptions['level'];
  /** Service name written on every line. */
  service: string;
}

/**
 * The root logger of a process. Modules take `logger.child({ module: 'edge:delivery' })`.
 * Message bodies and tokens are redacted wherever they appear under these keys, so a log line
 * never carries what users wrote or their credentials.
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.level ?? 'info',
      base: { service: config.service },
      redact: {
        paths: [
          'token',
          'auth.token',
          'headers.authorization',
          'req.headers.authorization',
          // Message text, wherever a log call would carry it: a payload, a command, a body.
          'message',
          'body',
          '*.message',
          '*.body',
        ],
        censor: '[redacted]',
      },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
