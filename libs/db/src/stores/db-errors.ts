/** A PostgreSQL unique violation (23505) on the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pgError = error as { code?: unknown; constraint?: unknown } | null;
  return pgError?.code === '23505' && pgError.constraint === constraint;
}

/**
 * Removes query values from a database error before anyone can log it: PostgreSQL puts the
 * offending row in `detail` ("Failing row contains (…)"), knex attaches `bindings` to timeout
 * errors, and error serializers log every own property, so a failed message write would log
 * what the user wrote. The code, constraint and message (the SQL with $n placeholders) stay.
 */
export function redactQueryValues(error: unknown): unknown {
  if (error && typeof error === 'object') {
    const fields = error as { detail?: unknown; bindings?: unknown };
    if ('detail' in fields && fields.detail !== undefined) fields.detail = '[redacted]';
    if ('bindings' in fields && fields.bindings !== undefined) fields.bindings = '[redacted]';
  }
  return error;
}

/** The same async methods, whose rejections pass through `redactQueryValues`. */
export function withRedactedErrors<T extends object>(methods: T): Readonly<T> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(methods)) {
    if (typeof method !== 'function') {
      wrapped[name] = method;
      continue;
    }
    const call = method as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await call(...args);
      } catch (error) {
        throw redactQueryValues(error);
      }
    };
  }
  return Object.freeze(wrapped) as Readonly<T>;
}

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * Whether an error means PostgreSQL could not be reached or dropped the connection (worth a
 * 503 and a retry), as opposed to a query that failed on its own (a bug, a 500): socket errors,
 * knex's pool timeout, pg's "Connection terminated", SQLSTATE class 08 (connection exception),
 * 57P01-57P03 (shutting down, starting up) and 53300 (too many connections). Looks through
 * `cause` chains, where wrappers keep the original.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, name, message, cause } = current as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      if (NETWORK_ERROR_CODES.has(code)) return true;
      if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return true;
    }
    if (name === 'KnexTimeoutError') return true;
    // knex puts the failed SQL in front of the driver's message: "<sql> - Connection terminated…".
    if (typeof message === 'string' && message.includes('Connection terminated')) return true;
    current = cause;
  }
  return false;
}

/**
 * A statement PostgreSQL cancelled (SQLSTATE 57014, query_canceled): it ran longer than
 * DATABASE_STATEMENT_TIMEOUT_MS, or an operator cancelled it. Either way the statement itself
 * was fine and nothing of it was applied; it ran into load or a lock held too long.
 */
export function isStatementTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (code === '57014') return true;
    current = cause;
  }
  return false;
}

/**
 * Worth trying again as it is: the database is unreachable for now, the transaction lost a
 * serialization conflict or a deadlock (40001, 40P01) that PostgreSQL resolved by aborting it,
 * or a statement timed out. A timeout counts as transient, not as a bug: the same statement
 * succeeds once the load or the lock that slowed it is gone, and message-service retrying in
 * place keeps a conversation's order where a requeue would let the next command overtake.
 */
export function isRetryableDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '40001' ||
    code === '40P01' ||
    isStatementTimeout(error) ||
    isDatabaseUnavailable(error)
  );
}
