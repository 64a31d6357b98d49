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
