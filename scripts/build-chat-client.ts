// npm run build:chat-client: the publishable @tutorgo/chat-client into libs/chat-client/dist
// (then `npm pack` in libs/chat-client makes its tarball).
import { join } from 'node:path';
import { buildChatClient } from './chat-client/build-package';

const outdir = join(__dirname, '..', 'libs/chat-client/dist');

buildChatClient(outdir, 'info').then(
  ({ files }) => console.log(`built ${files.join(', ')} in ${outdir}`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
