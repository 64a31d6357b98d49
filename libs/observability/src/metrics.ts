import type { ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One registry per process (not prom-client's global one), so tests can build many apps side by side. */
export function createMetricsRegistry(
  service: string,
  options: { defaultMetrics?: boolean } = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Answers a scrape: the registry in the Prometheus text format. Works for a plain
 * `http.ServerResponse` and an Express one alike. The metrics carry no user data (no user or
 * conversation ids in labels), so the endpoint needs no token.
 */
export async function sendMetrics(registry: Registry, response: ServerResponse): Promise<void> {
  const text = await registry.metrics();
  response.writeHead(200, {
    'content-type': registry.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
