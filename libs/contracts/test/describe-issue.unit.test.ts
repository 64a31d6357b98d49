import { z } from 'zod';
import { describeIssue, describeIssues } from '@chat/contracts';

const schema = z.strictObject({ payload: z.object({ seq: z.number(), id: z.string() }) });
const errorOf = (input: unknown) => {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the input to be refused');
  return parsed.error;
};

describe('describeIssue', () => {
  it('when a nested field is wrong, then the first issue reads "path message"', () => {
    const error = errorOf({ payload: { seq: 'x', id: 'a' } });
    expect(describeIssue(error)).toBe(`payload.seq ${error.issues[0]!.message}`);
  });

  it('when a separator is given, then it stands between path and message', () => {
    const error = errorOf({ payload: { seq: 'x', id: 'a' } });
    expect(describeIssue(error, { separator: ': ' })).toBe(
      `payload.seq: ${error.issues[0]!.message}`,
    );
  });

  it('when the input as a whole is wrong, then the message stands alone, or after the name given for the whole', () => {
    const error = errorOf('not an object');
    const message = error.issues[0]!.message;
    expect(describeIssue(error)).toBe(message);
    expect(describeIssue(error, { whole: 'arguments' })).toBe(`arguments ${message}`);
  });

  it('when several fields are wrong, then describeIssues lists each problem once, in order', () => {
    const error = errorOf({ payload: { seq: 'x', id: 1 } });
    expect(describeIssues(error)).toEqual([
      `payload.seq ${error.issues[0]!.message}`,
      `payload.id ${error.issues[1]!.message}`,
    ]);
  });
});
