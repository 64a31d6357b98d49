import { z } from 'zod';
import { describeIssue } from './describe-issue';
import { userIdSchema } from './ids';

/** Inbound from TutorGo's booking service on `tutorgo.events` with routing key `booking.<status>`. */
export const bookingStatusSchema = z.enum(['pending', 'confirmed', 'cancelled', 'completed']);
export type BookingStatus = z.infer<typeof bookingStatusSchema>;

const isoTime = z.iso.datetime({ offset: true });

export const bookingEventSchema = z.object({
  bookingId: z.string().min(1).max(100),
  studentId: userIdSchema,
  tutorId: userIdSchema,
  status: bookingStatusSchema,
  startTime: isoTime.optional(),
  endTime: isoTime.optional(),
  occurredAt: isoTime.optional(),
});
export type BookingEvent = z.infer<typeof bookingEventSchema>;

export type BookingEventParseResult =
  { success: true; data: BookingEvent } | { success: false; reason: string };

/**
 * Reads a booking event as it arrives on `tutorgo.events`. A routing key naming a status
 * (`booking.confirmed`, `booking.cancelled`, `booking.completed`, `booking.pending`) fills in a
 * missing `status` and must agree with a present one; any other key (`booking.updated`, …) needs
 * the status in the body. Never throws: the reason of a failure names the field at fault.
 */
export function parseBookingEvent(routingKey: string, body: unknown): BookingEventParseResult {
  const match = /^booking\.([a-z_-]+)$/.exec(routingKey);
  if (!match) return { success: false, reason: `unexpected routing key "${routingKey}"` };
  const keyStatus = bookingStatusSchema.safeParse(match[1]);
  const withStatus =
    keyStatus.success && isRecord(body) && body.status === undefined
      ? { ...body, status: keyStatus.data }
      : body;
  const parsed = bookingEventSchema.safeParse(withStatus);
  if (!parsed.success) {
    return { success: false, reason: `invalid booking event: ${describeIssue(parsed.error)}` };
  }
  const event = parsed.data;
  if (keyStatus.success && keyStatus.data !== event.status) {
    return {
      success: false,
      reason: `status "${event.status}" does not match routing key "${routingKey}"`,
    };
  }
  if (event.studentId === event.tutorId) {
    return { success: false, reason: 'studentId and tutorId must differ' };
  }
  return { success: true, data: event };
}

/**
 * The answer of TutorGo's booking service to "which bookings do these two users share?"
 * (message-service's fallback when its projection knows nothing about a pair): every booking
 * between them, in either role, with its current status; an empty list when there is none.
 * The status is any string so that a status chat does not know yet is not a malformed answer.
 */
export const bookingLookupResponseSchema = z.object({
  bookings: z.array(
    z.object({
      bookingId: z.string().min(1).max(100),
      status: z.string().min(1).max(50),
      startTime: isoTime.nullish(),
      endTime: isoTime.nullish(),
    }),
  ),
});
export type BookingLookupResponse = z.infer<typeof bookingLookupResponseSchema>;
export type BookingSummary = BookingLookupResponse['bookings'][number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
