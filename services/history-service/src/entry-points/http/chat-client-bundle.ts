import { join } from 'node:path';

/**
 * Where `npm run build:chat-client` writes libs/chat-client's build, chat-client.browser.js
 * among it, which the demo page loads. npm start builds it there when the demo is on.
 */
export const CHAT_CLIENT_DIST = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  'libs',
  'chat-client',
  'dist',
);
