/**
 * The JWT secret `npm start` and `npm run token` fall back to on a developer machine. It is
 * public (it is in the repository), so production must never run with it.
 */
export const DEV_JWT_SECRET = 'tutorgo-chat-dev-secret-change-me-in-production';
