import { ConfigError } from '@chat/config';

/**
 * Ends a process whose start failed with one clear line on stderr — the variable that is wrong,
 * or the dependency that did not answer — instead of a stack trace.
 */
export function exitOnStartupError(service: string) {
  return (error: unknown): never => {
    const detail = error instanceof ConfigError ? error.message : (error as Error)?.message;
    console.error(`${service} could not start. ${detail ?? String(error)}`);
    process.exit(1);
  };
}
