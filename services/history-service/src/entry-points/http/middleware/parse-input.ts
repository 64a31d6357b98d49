import { describeIssues } from '@chat/contracts';
import type { z } from 'zod';
import { AppError } from '@chat/errors';

/**
 * The parsed value, or AppError VALIDATION_FAILED naming each bad field, e.g.
 * "limit must be a whole number from 1 to 200". Values are never echoed back.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError('VALIDATION_FAILED', describeIssues(result.error).join('; '));
}
