import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mintToken } from '@chat/testing';
import { buildChatClient } from '../../scripts/chat-client/build-package';
import { bookedPair, startChatSystem, type ChatSystem } from '../support/chat-system';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const packageDir = join(root, 'libs/chat-client');

/** A program that sends one message through the installed package and prints the stored one. */
const sender = (load: string, text: string) => `
${load}
const { CHAT_URL, TOKEN, ME, PARTNER } = process.env;
const client = createChatClient({
  url: CHAT_URL,
  getToken: () => TOKEN,
  socketOptions: { transports: ['websocket'] },
});
client.on('error', (error) => console.error(error.code, error.message));
const conversationId = conversationIdOf(ME, PARTNER);
client.send(conversationId, PARTNER, ${JSON.stringify(text)}).then(async (stored) => {
  await client.close();
  console.log(JSON.stringify({ conversationId: stored.conversationId, message: stored.message }));
});
`;

const programs = {
  'send.mjs': sender(
    "import { conversationIdOf, createChatClient } from '@tutorgo/chat-client';",
    'from Node, ESM',
  ),
  'send.cjs': sender(
    "const { conversationIdOf, createChatClient } = require('@tutorgo/chat-client');",
    'from Node, CommonJS',
  ),
  // The browser bundle brings its own socket.io-client; Node 20 only lacks the WebSocket a browser has.
  'send-browser.mjs': sender(
    `import { createRequire } from 'node:module';
globalThis.WebSocket = createRequire(${JSON.stringify(join(root, 'package.json'))})('ws');
const { conversationIdOf, createChatClient } = await import('@tutorgo/chat-client/browser');`,
    'from the browser bundle',
  ),
  'check.mts': `
import { createChatClient, ChatClientError, type ChatClient, type ChatMessage, type MessageStatus } from '@tutorgo/chat-client';
const client: ChatClient = createChatClient({ url: 'http://localhost:3006', getToken: async () => 'token', autoConnect: false });
client.on('message', (message: ChatMessage) => { const seq: number = message.seq; void seq; });
client.on('message-status', (update) => { const status: MessageStatus = update.status; void status; });
// @ts-expect-error: the events are typed, so an unknown one is refused
client.on('no-such-event', () => undefined);
const stored: Promise<ChatMessage> = client.send('a_b', 'b', 'hi');
void stored; void ChatClientError;
`,
  'check.cts': `
import chat = require('@tutorgo/chat-client');
const client: chat.ChatClient = chat.createChatClient({ url: 'http://localhost:3006', getToken: () => 'token', autoConnect: false });
const id: string = chat.conversationIdOf('a', 'b');
void client; void id;
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      lib: ['es2022', 'dom'],
      types: [],
      skipLibCheck: false,
    },
    files: ['check.mts', 'check.cts'],
  }),
  'package.json': JSON.stringify({ name: 'consumer', private: true }),
};

describe('the published package', () => {
  let system: ChatSystem;
  let scratch: string;

  beforeAll(async () => {
    system = await startChatSystem('cc-package');
    scratch = await mkdtemp(join(tmpdir(), 'chat-client-package-'));
  });
  afterAll(async () => {
    await system?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('when built, packed and installed outside the repository, then plain Node imports it (ESM, CommonJS and the browser bundle), sends through the real chat, and tsc type-checks it', async () => {
    // What npm publishes: package.json, README and a fresh build, outside the repository.
    const stage = join(scratch, 'stage');
    await mkdir(stage);
    await cp(join(packageDir, 'package.json'), join(stage, 'package.json'));
    await cp(join(packageDir, 'README.md'), join(stage, 'README.md'));
    await buildChatClient(join(stage, 'dist'));
    const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: stage,
    });
    const [tarball] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    expect(tarball!.files.map((file) => file.path).sort()).toEqual(
      [
        'README.md',
        'dist/chat-client.browser.js',
        'dist/chat-client.browser.js.map',
        'dist/index.cjs',
        'dist/index.cjs.map',
        'dist/index.d.cts',
        'dist/index.d.mts',
        'dist/index.mjs',
        'dist/index.mjs.map',
        'package.json',
      ].sort(),
    );

    const consumer = join(scratch, 'consumer');
    await mkdir(consumer);
    for (const [name, text] of Object.entries(programs))
      await writeFile(join(consumer, name), text);
    // Offline: the tarball is all npm needs; the peer dependency is the repository's copy.
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--legacy-peer-deps',
        '--no-audit',
        '--no-fund',
        join(scratch, tarball!.filename),
      ],
      { cwd: consumer },
    );
    await symlink(
      join(root, 'node_modules/socket.io-client'),
      join(consumer, 'node_modules/socket.io-client'),
    );
    const declarations = await readFile(
      join(consumer, 'node_modules/@tutorgo/chat-client/dist/index.d.mts'),
      'utf8',
    );
    expect(declarations).not.toMatch(/@chat\/|from 'zod'/);

    const { sender: me, receiver: partner, conversationId } = await bookedPair(system.stack.db);
    const env = {
      PATH: process.env.PATH,
      CHAT_URL: system.stack.edgeUrls[0],
      TOKEN: mintToken(me),
      ME: me,
      PARTNER: partner,
    };
    const sent = [];
    for (const program of ['send.mjs', 'send.cjs', 'send-browser.mjs']) {
      const { stdout } = await run(process.execPath, [program], {
        cwd: consumer,
        env,
        timeout: 20_000,
      });
      sent.push(JSON.parse(stdout));
    }
    expect(sent).toEqual([
      { conversationId, message: 'from Node, ESM' },
      { conversationId, message: 'from Node, CommonJS' },
      { conversationId, message: 'from the browser bundle' },
    ]);

    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', consumer], {
      cwd: consumer,
    });
  }, 180_000);
});
