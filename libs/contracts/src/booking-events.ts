import { z } from 'zod';
import { userIdSchema } from './ids';

/** Inbound from TutorGo's booking service on `tutorgo.events` with routing key `booking.<status>`. */
export const bookingStatusSchema = z.enum(['pending', 'confirmed', 'cancelled', 'completed']);
export type BookingStatus = z.infer<typeof bookingStatusSchema>;

export const bookingEventSchema = z.object({
  bookingId: z.string().min(1).max(100),
  studentId: userIdSchema,
  tutorId: userIdSchema,
  status: bookingStatusSchema,
  startTime: z.iso.datetime({ offset: true }).optional(),
  endTime: z.iso.datetime({ offset: true }).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});
export type BookingEvent = z.infer<typeof bookingEventSchema>;
