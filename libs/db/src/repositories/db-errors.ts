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
