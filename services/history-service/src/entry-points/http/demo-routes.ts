import { join } from 'node:path';
import express, { Router, json, type NextFunction, type Response } from 'express';
import {
  demoTokenRequestSchema,
  type DemoTokenResponse,
  type DemoUser,
  type DemoUsersResponse,
} from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { DemoTokens } from '../../adapters/demo-tokens';
import { parseInput } from './middleware/parse-input';

/** The page's own files: index.html and, under assets/, its script modules, styles and icon. */
const PAGE_DIR = join(__dirname, 'demo-page');
const BUNDLE = 'chat-client.browser.js';

/**
 * Scripts and styles from this origin only (no inline script: the page has none), Socket.IO and
 * fetch to this origin only, nothing else loads, and no one frames it.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface DemoRoutesDeps {
  users: readonly DemoUser[];
  /** Signs demo users in; absent, POST /chat/demo/token does not exist (a 404). */
  tokens?: DemoTokens;
  /** The folder `npm run build:chat-client` (or npm start) writes chat-client.browser.js to. */
  bundleDir: string;
}

/**
 * The development demo page (docs/demo.md): GET /chat/demo, its assets under /chat/demo/, the
 * chat client's browser bundle at /chat/demo/chat-client.browser.js, GET /chat/demo/users.json
 * and, when `tokens` is given, POST /chat/demo/token `{ userId }` → `{ token, expiresAt }` for a
 * demo user. Only mounted when the demo is on (isDemoPageOn).
 */
export function createDemoRoutes(deps: DemoRoutesDeps): Router {
  const router = Router();
  const usersBody: DemoUsersResponse = {
    signIn: deps.tokens !== undefined,
    users: [...deps.users],
  };

  router.use('/chat/demo', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    next();
  });

  router.get('/chat/demo', (req, res, next) => {
    // The page's links are relative to /chat/demo; under /chat/demo/ they would miss.
    if (req.path.endsWith('/')) return res.redirect(301, '../demo');
    res.sendFile(join(PAGE_DIR, 'index.html'), (error) => error && next(error));
  });

  router.get('/chat/demo/users.json', (_req, res) => {
    res.json(usersBody);
  });

  const { tokens } = deps;
  if (tokens) {
    router.post('/chat/demo/token', json({ limit: '1kb' }), (req, res) => {
      const { userId } = parseInput(demoTokenRequestSchema, req.body);
      const user = deps.users.find((candidate) => candidate.userId === userId);
      if (!user) {
        throw new AppError(
          'FORBIDDEN',
          `Only the demo users can sign in here: ${deps.users.map((u) => u.userId).join(', ')}`,
        );
      }
      const body: DemoTokenResponse = tokens.mint(user);
      res.json(body);
    });
  }

  for (const file of [BUNDLE, `${BUNDLE}.map`]) {
    router.get(`/chat/demo/${file}`, (_req, res, next) => {
      res.sendFile(join(deps.bundleDir, file), (error) => sendFileFailed(error, res, next));
    });
  }

  router.use(
    '/chat/demo',
    express.static(join(PAGE_DIR, 'assets'), {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      // Development only: always the files as they are now.
      etag: false,
      lastModified: false,
    }),
  );

  return router;
}

function sendFileFailed(error: Error | undefined, res: Response, next: NextFunction): void {
  if (!error || res.headersSent) return;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    next(
      new AppError(
        'NOT_FOUND',
        'The chat client is not built: run npm run build:chat-client (npm start builds it)',
      ),
    );
    return;
  }
  next(error);
}
