import { parseArgs } from 'node:util';
import { NAMESPACE_PATTERN } from '@chat/contracts';

/** A command line npm run namespace will not act on; the message says why. */
export class UsageError extends Error {}

export interface NamespaceArgs {
  command: 'list' | 'delete';
  namespace?: string;
  force: boolean;
}

/** Reads the command line; throws UsageError for anything it would not do. */
export function readNamespaceArgs(argv: string[]): NamespaceArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { force: { type: 'boolean', default: false } },
  });
  const [command, namespace, ...rest] = positionals;
  if (rest.length > 0 || (command !== 'list' && command !== 'delete')) {
    throw new UsageError('expected list or delete');
  }
  if (command === 'delete' && namespace === undefined) {
    throw new UsageError("delete needs a namespace ('' for the unprefixed one)");
  }
  if (namespace && !NAMESPACE_PATTERN.test(namespace)) {
    throw new UsageError(
      `"${namespace}" is not a namespace: 1-32 lowercase letters, digits, _ or -`,
    );
  }
  if (command === 'delete' && namespace === '' && !values.force) {
    throw new UsageError(
      "'' is the unprefixed namespace, the one production runs in: add --force if you mean it",
    );
  }
  return { command, namespace, force: values.force };
}
