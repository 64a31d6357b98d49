import { createHash } from 'node:crypto';

/**
 * The booking id that local tools give a student and tutor pair: `npm run booking` and the demo
 * page's seed both derive it, so a `cancel` of either finds the booking the other confirmed.
 */
export function localBookingId(studentId: string, tutorId: string): string {
  const digest = createHash('sha256').update(`${studentId}\n${tutorId}`).digest('hex');
  return `local-${digest.slice(0, 24)}`;
}
