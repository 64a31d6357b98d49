import { createServer } from 'node:net';
import { ConfigError } from '@chat/config';

export interface PortToListenOn {
  /** The variable that sets it, named in the error. */
  env: string;
  port: number;
  host?: string;
}

/**
 * Refuses to go on, naming each variable, when a port the process is about to listen on is
 * taken (a second `npm start`, say): checked before anything else starts, so a process that
 * cannot serve never consumes commands, declares queues or takes partitions first. Port 0 (any
 * free port) always passes. Another process may still take a port between the check and the
 * listen; the listen then fails as before.
 */
export async function assertPortsFree(ports: readonly PortToListenOn[]): Promise<void> {
  const problems: { env: string; message: string }[] = [];
  for (const { env, port, host } of ports) {
    if (port === 0) continue;
    const taken = await portProblem(port, host);
    if (taken) {
      problems.push({
        env,
        message: `port ${port}${host ? ` on ${host}` : ''} is in use (${taken}); stop what holds it or choose another port`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Why `port` cannot be listened on (EADDRINUSE, EACCES, …), or undefined when it can. */
export function portProblem(port: number, host?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
