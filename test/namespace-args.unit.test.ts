import { readNamespaceArgs, UsageError } from '../scripts/support/namespace-args';

describe('npm run namespace arguments', () => {
  it("when delete names '' (the unprefixed, production namespace) without --force, then it is refused saying so", () => {
    expect(() => readNamespaceArgs(['delete', ''])).toThrow(
      new UsageError(
        "'' is the unprefixed namespace, the one production runs in: add --force if you mean it",
      ),
    );
  });

  it("when delete names '' with --force, then it is accepted as the unprefixed namespace", () => {
    expect(readNamespaceArgs(['delete', '', '--force'])).toEqual({
      command: 'delete',
      namespace: '',
      force: true,
    });
  });

  it.each([
    [['delete'], /delete needs a namespace/],
    [['delete', 'Staging'], /"Staging" is not a namespace/],
    [['delete', 'a.b'], /"a\.b" is not a namespace/],
    [['purge', 'staging'], /expected list or delete/],
    [['delete', 'staging', 'extra'], /expected list or delete/],
  ])('when the command line is %j, then it is refused: %s', (argv, message) => {
    expect(() => readNamespaceArgs(argv)).toThrow(message);
  });

  it('when list comes with or without a namespace, then both are accepted', () => {
    expect(readNamespaceArgs(['list'])).toEqual({ command: 'list', force: false });
    expect(readNamespaceArgs(['list', 'staging'])).toMatchObject({ namespace: 'staging' });
  });
});
