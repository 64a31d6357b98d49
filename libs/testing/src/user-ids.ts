import { randomUUID } from 'node:crypto';

/** A fresh user id that no other test uses. */
export const newUserId = (label = 'u') => `${label}-${randomUUID()}`;
