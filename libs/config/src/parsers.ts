import { isIP } from 'node:net';
import { z } from 'zod';

/** Env values are strings; these turn them into typed values with messages an operator understands. */

export const port = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(fallback);

export const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .max(max, `must be at most ${max}`)
    .default(fallback);

/** Like positiveInt, but 0 is allowed (it means "none" or "off"). */
export const nonNegativeInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(max, `must be at most ${max}`)
    .default(fallback);

const hostName = z
  .string()
  .refine((value) => isIP(value) !== 0 || z.hostname().safeParse(value).success, {
    message: 'must be an IP address or a host name',
  });

/** An interface to listen on: an IPv4 or IPv6 address, or a host name such as localhost. */
export const host = (fallback: string) => hostName.default(fallback);

/** Like host, but unset means Node's default: every interface. */
export const optionalHost = hostName.optional();

export const url = (protocols: readonly string[], fallback?: string) => {
  const schema = z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );
  return fallback === undefined ? schema : schema.default(fallback);
};

export const csv = (fallback: readonly string[]) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    )
    .pipe(z.array(z.string()).min(1, 'must list at least one value'))
    .default([...fallback]);

export const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Like boolean, but unset stays undefined, for a default that depends on another setting. */
export const optionalBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .optional()
  .transform((value) =>
    value === undefined ? undefined : value === 'true' || value === '1' || value === 'yes',
  );

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');
