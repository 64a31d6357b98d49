import type { z } from 'zod';
import { AppError } from '@chat/errors';

/**
 * The parsed value, or AppError VALIDATION_FAILED naming each bad field, e.g.
 * "limit must be a whole number from 1 to 200". Values are never echoed back.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    return field ? `${field} ${issue.message}` : issue.message;
  });
  throw new AppError('VALIDATION_FAILED', [...new Set(problems)].join('; '));
}
