import type { Request } from 'express';

/**
 * An RFC 8288 `Link` to the next page: the request's own path with `params` as its query, as a
 * relative reference, so it stays right behind a proxy that keeps paths.
 */
export function nextPageLink(req: Request, params: Record<string, string | number>): string {
  const path = req.originalUrl.split('?')[0] ?? req.path;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) query.set(key, String(value));
  return `<${path}?${query.toString()}>; rel="next"`;
}
