/**
 * Publishes the booking event TutorGo's booking service would, for trying the chat locally:
 *
 *   npm run booking -- confirm|cancel|complete <studentId> <tutorId> [--booking-id <id>]
 *
 * To BOOKING_EVENTS_EXCHANGE (default tutorgo.events) on RABBITMQ_URL, routing key
 * booking.<status>, occurredAt now: read through message-service's own config, so it is the
 * exchange message-service consumes, in any namespace (TutorGo's exchange is never prefixed). The booking id defaults to one derived from the pair, so
 * `cancel` finds the booking `confirm` made.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { ConfigError, loadConfig, sharedEnv } from '@chat/config';
import {
  type BookingEvent,
  bookingEventSchema,
  type BookingStatus,
  describeIssue,
} from '@chat/contracts';
import { localBookingId } from '@chat/db';
import { messageServiceEnv } from '../services/message-service/src/config';

const USAGE = `Usage: npm run booking -- <confirm|cancel|complete> <studentId> <tutorId> [--booking-id <id>]

  confirm     the two users may chat (booking.confirmed)
  cancel      the booking is cancelled; their conversation closes live (booking.cancelled)
  complete    the session took place (booking.completed)
  --booking-id  default: derived from the pair, so cancel finds the booking confirm made

Publishes to BOOKING_EVENTS_EXCHANGE (default tutorgo.events) on RABBITMQ_URL, the exchange
message-service reads. CHAT_NAMESPACE does not prefix it (TutorGo owns it): give a namespace
its own BOOKING_EVENTS_EXCHANGE, here and for its services, to keep its bookings apart.`;

const ACTIONS: Record<string, BookingStatus> = {
  confirm: 'confirmed',
  cancel: 'cancelled',
  complete: 'completed',
};

class UsageError extends Error {}

function readArgs(argv: string[]): BookingEvent {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'booking-id': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [action, studentId, tutorId, ...rest] = parsed.positionals;
  if (rest.length > 0 || tutorId === undefined) {
    throw new UsageError('expected an action, a studentId and a tutorId');
  }
  const status = ACTIONS[action ?? ''];
  if (!status) throw new UsageError(`unknown action "${action}"`);
  if (studentId === tutorId) throw new UsageError('studentId and tutorId must differ');
  const bookingId = parsed.values['booking-id'];
  const result = bookingEventSchema.safeParse({
    bookingId: typeof bookingId === 'string' ? bookingId : localBookingId(studentId!, tutorId),
    studentId,
    tutorId,
    status,
    occurredAt: new Date().toISOString(),
  });
  if (!result.success) {
    throw new UsageError(describeIssue(result.error, { whole: 'arguments' }));
  }
  return result.data;
}

async function main(): Promise<void> {
  let event: BookingEvent;
  try {
    event = readArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`booking: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }

  let config: { rabbitmqUrl: string; bookingEventsExchange: string };
  try {
    config = loadConfig({
      rabbitmqUrl: sharedEnv.rabbitmqUrl,
      bookingEventsExchange: messageServiceEnv.bookingEventsExchange,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }

  const routingKey = `booking.${event.status}`;
  let unrouted = false;
  const connection = await amqplib.connect(config.rabbitmqUrl);
  try {
    const channel = await connection.createConfirmChannel();
    // As message-service declares it; publishing before it ever ran must not fail.
    await channel.assertExchange(config.bookingEventsExchange, 'topic', { durable: true });
    channel.on('return', () => (unrouted = true));
    channel.publish(config.bookingEventsExchange, routingKey, Buffer.from(JSON.stringify(event)), {
      mandatory: true,
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: routingKey,
    });
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
  console.log(`published ${routingKey} to ${config.bookingEventsExchange}:`);
  console.log(JSON.stringify(event, null, 2));
  if (unrouted) {
    console.error(
      'booking: no queue is bound to the exchange, so nobody got the event: start message-service (npm start) first',
    );
  }
}

main().catch((error: unknown) => {
  console.error(`booking: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
