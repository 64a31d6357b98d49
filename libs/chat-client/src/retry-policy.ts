import { ERROR_CODES } from '@chat/errors';

/**
 * Whether a refusal may be tried again: what libs/errors' catalogue says of the code
 * (OVERLOADED, TIMEOUT, UNAVAILABLE, RATE_LIMITED, TOO_MANY_PENDING_SENDS,
 * BOOKING_CHECK_UNAVAILABLE, INTERNAL, …). A code the catalogue does not know (a newer
 * server's) counts as final: retrying what we do not understand could go on forever.
 */
export function isRetryableCode(code: string): boolean {
  if (!Object.prototype.hasOwnProperty.call(ERROR_CODES, code)) return false;
  return ERROR_CODES[code as keyof typeof ERROR_CODES].retryable;
}

export interface BackoffOptions {
  /** Delay before the first retry, in ms; default 250. */
  baseMs?: number;
  /** Longest delay between two tries, in ms; default 10 000. */
  maxMs?: number;
}

/**
 * How long to wait before try number `attempt` + 1 after `attempt` failed ones: doubling from
 * `baseMs` up to `maxMs`, each delay drawn from its upper half so that many clients refused at
 * the same moment (OVERLOADED, a restart) do not all come back at the same moment either.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
