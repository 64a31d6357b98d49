import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseBookingEvent } from '@chat/contracts';
import { testNamespace, testServiceUrls, connectTutorGoEvents } from '@chat/testing';

const run = promisify(execFile);
const root = join(__dirname, '..');

describe('npm run booking', () => {
  it('when a namespace is set, then the event goes to BOOKING_EVENTS_EXCHANGE, the exchange message-service of that namespace reads (TutorGo’s, never prefixed)', async () => {
    const tutorgo = await connectTutorGoEvents();
    try {
      const watched = await tutorgo.watch(tutorgo.exchange, 'booking.*');
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'scripts/booking.ts', 'confirm', 'student-9', 'tutor-9'],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            RABBITMQ_URL: testServiceUrls().rabbitmqUrl,
            CHAT_NAMESPACE: testNamespace('booking'),
            BOOKING_EVENTS_EXCHANGE: tutorgo.exchange,
          },
        },
      );
      expect(stdout).toContain(`published booking.confirmed to ${tutorgo.exchange}`);

      const message = await tutorgo.nextMessage(watched);
      expect(message.fields.routingKey).toBe('booking.confirmed');
      const parsed = parseBookingEvent(
        message.fields.routingKey,
        JSON.parse(message.content.toString()),
      );
      expect(parsed).toMatchObject({
        success: true,
        data: { studentId: 'student-9', tutorId: 'tutor-9', status: 'confirmed' },
      });
    } finally {
      await tutorgo.close();
    }
  }, 30_000);
});
