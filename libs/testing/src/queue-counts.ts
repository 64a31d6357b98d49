import amqplib from 'amqplib';

export interface QueueCount {
  queue: string;
  /** Ready messages (not the ones a consumer holds unacked); undefined when the queue does not exist. */
  messageCount?: number;
  consumerCount?: number;
}

/**
 * Message and consumer counts of `queues`, through AMQP's passive declare (no management
 * plugin needed). A queue that does not exist is reported without counts.
 */
export async function queueCounts(rabbitmqUrl: string, queues: string[]): Promise<QueueCount[]> {
  const connection = await amqplib.connect(rabbitmqUrl);
  connection.on('error', () => undefined);
  try {
    const counts: QueueCount[] = [];
    for (const queue of queues) {
      // A passive declare of a missing queue closes its channel (404): one channel each.
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        counts.push({ queue, messageCount, consumerCount });
        await channel.close();
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
        counts.push({ queue });
      }
    }
    return counts;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
