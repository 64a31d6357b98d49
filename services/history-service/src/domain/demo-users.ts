import type { DemoRole, DemoUser } from '@chat/contracts';

/** A confirmed booking the demo seeds, so its two users may chat. */
export interface DemoBooking {
  studentId: string;
  tutorId: string;
}

const PEOPLE: readonly { userId: string; name: string; role: DemoRole }[] = [
  { userId: 'demo-student', name: 'Sam', role: 'student' },
  { userId: 'demo-tutor', name: 'Tara', role: 'tutor' },
  { userId: 'demo-tutor-2', name: 'Theo', role: 'tutor' },
];

/** One student with two tutors: enough for a conversation list with unread badges. */
export const DEMO_BOOKINGS: readonly DemoBooking[] = [
  { studentId: 'demo-student', tutorId: 'demo-tutor' },
  { studentId: 'demo-student', tutorId: 'demo-tutor-2' },
];

/** The users the demo page signs in as, each with the partners the seeded bookings give them. */
export const DEMO_USERS: readonly DemoUser[] = PEOPLE.map((person) => ({
  ...person,
  partners: DEMO_BOOKINGS.flatMap(({ studentId, tutorId }) =>
    studentId === person.userId ? [tutorId] : tutorId === person.userId ? [studentId] : [],
  ),
}));

export function findDemoUser(userId: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.userId === userId);
}
