import { Router } from 'express';
import type { AsyncApiDocument } from '@chat/broker';
import type { OpenApiDocument } from './openapi-document';
import { renderDocsPage } from './docs-page';

/**
 * GET /chat/openapi.json, GET /chat/docs (the same document, for people) and GET
 * /chat/asyncapi.json (our RabbitMQ messages, for the TutorGo services that consume or publish
 * them); no token needed.
 */
export function createDocsRoutes(documents: {
  openapi: OpenApiDocument;
  asyncapi: AsyncApiDocument;
}): Router {
  const router = Router();
  const page = renderDocsPage(documents.openapi);

  router.get('/chat/openapi.json', (_req, res) => {
    res.json(documents.openapi);
  });

  router.get('/chat/asyncapi.json', (_req, res) => {
    res.json(documents.asyncapi);
  });

  router.get('/chat/docs', (req, res) => {
    // Express matches /chat/docs/ too, where the page's relative link to openapi.json would
    // point under docs/: send the client to the one address (relative, so a path prefix of a
    // gateway in front stays).
    if (req.path.endsWith('/')) return res.redirect(301, '../docs');
    // Self-contained: no script, no outside resource may load.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    res.type('html').send(page);
  });

  return router;
}
