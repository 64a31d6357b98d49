import { Router } from 'express';
import type { OpenApiDocument } from '../openapi';
import { renderDocsPage } from '../docs-page';

/** GET /chat/openapi.json and GET /chat/docs (the same document, for people); no token needed. */
export function createDocsRoutes(document: OpenApiDocument): Router {
  const router = Router();
  const page = renderDocsPage(document);

  router.get('/chat/openapi.json', (_req, res) => {
    res.json(document);
  });

  router.get('/chat/docs', (_req, res) => {
    // Self-contained: no script, no outside resource may load.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    res.type('html').send(page);
  });

  return router;
}
