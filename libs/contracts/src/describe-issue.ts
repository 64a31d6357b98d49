import type { z } from 'zod';

export interface DescribeIssueOptions {
  /** Between the path and the message; default ' ' ("payload.seq Expected number"). */
  separator?: string;
  /**
   * What stands for the path when the issue is about the input as a whole (empty path);
   * default none: the message alone.
   */
  whole?: string;
}

/** One zod issue as `path message`, or the message alone when the path is empty. */
function describeOne(issue: z.ZodError['issues'][number], options: DescribeIssueOptions): string {
  const path = issue.path.map(String).join('.') || options.whole;
  return path ? `${path}${options.separator ?? ' '}${issue.message}` : issue.message;
}

/**
 * The first problem zod found, e.g. "payload.seq Expected number" — the one way the libs and
 * services turn a failed parse into words (log lines, parked messages, refusals).
 */
export function describeIssue(error: z.ZodError, options: DescribeIssueOptions = {}): string {
  const issue = error.issues[0];
  return issue ? describeOne(issue, options) : 'unknown';
}

/** Every problem zod found, each once, in the order found (see describeIssue). */
export function describeIssues(error: z.ZodError, options: DescribeIssueOptions = {}): string[] {
  return [...new Set(error.issues.map((issue) => describeOne(issue, options)))];
}
