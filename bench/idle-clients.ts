// Child process of the idle-sockets scenario: holds N idle sockets, so that the server
// process's memory grows by the server side of each connection only.
import { mintToken } from '@chat/testing';
import { benchUserId, closeAllSockets, connectUser, mapLimit } from './clients';
import { now } from './stats';

export type IdleClientsCommand =
  | { type: 'connect'; baseUrl: string; count: number; concurrency: number; label: string }
  | { type: 'close' };

export type IdleClientsReport =
  | {
      type: 'connected';
      ms: number;
      rssMb: number;
      heapUsedMb: number;
    }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

const reply = (report: IdleClientsReport) => process.send?.(report);

process.on('message', (command: IdleClientsCommand) => {
  if (command.type === 'close') {
    closeAllSockets();
    reply({ type: 'closed' });
    return;
  }
  // Signed before the clock starts: signing is client work that would be timed as the server's.
  const users = Array.from({ length: command.count }, (_, index) => {
    const userId = benchUserId(`${command.label}${index}`);
    return { userId, token: mintToken(userId) };
  });
  const startedAt = now();
  mapLimit(users, command.concurrency, ({ userId, token }) =>
    connectUser(command.baseUrl, userId, { token }),
  ).then(
    () => {
      const memory = process.memoryUsage();
      reply({
        type: 'connected',
        ms: Math.round(now() - startedAt),
        rssMb: Math.round(memory.rss / 1024 / 1024),
        heapUsedMb: Math.round(memory.heapUsed / 1024 / 1024),
      });
    },
    (error: unknown) => reply({ type: 'failed', message: (error as Error).message }),
  );
});

// Done, or the bench went away (Ctrl-C, crash): take the sockets with us.
process.on('disconnect', () => {
  closeAllSockets();
  process.exit(0);
});
