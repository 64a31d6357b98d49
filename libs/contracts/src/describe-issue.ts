import type { z } from 'zod';

/** The first problem zod found, as `path message` (e.g. "payload.seq Expected number"). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.')} ${issue.message}`.trim() : 'unknown';
}
