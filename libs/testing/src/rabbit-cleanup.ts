import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqplib from 'amqplib';

const run = promisify(execFile);

/**
 * Deletes the queues and exchanges whose names start with `prefix`. AMQP cannot list them, so
 * this asks `rabbitmqctl` when the broker is this machine's; otherwise (a container, thrown away
 * after the run anyway) it does nothing.
 */
export async function deleteRabbitObjectsWithPrefix(
  rabbitmqUrl: string,
  prefix: string,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(rabbitmqUrl);
  } catch {
    return;
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return;
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  const list = async (what: 'list_queues' | 'list_exchanges') => {
    try {
      const { stdout } = await run(
        'rabbitmqctl',
        [what, '-q', '-p', vhost, '--no-table-headers', 'name'],
        {
          timeout: 20_000,
        },
      );
      return stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((name) => name.startsWith(prefix));
    } catch {
      return [];
    }
  };
  const [queues, exchanges] = await Promise.all([list('list_queues'), list('list_exchanges')]);
  if (queues.length === 0 && exchanges.length === 0) return;
  const connection = await amqplib.connect(rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}
