import { relative } from 'node:path';
import type { Logger } from '@chat/observability';
import { isDemoPageOn, type HistoryServiceConfig } from '../../services/history-service/src/config';
import { CHAT_CLIENT_DIST } from '../../services/history-service/src/entry-points/http/chat-client-bundle';

/**
 * npm start and npm run start:cluster, with the demo page on (development): builds the chat
 * client's browser bundle the page loads, fresh from libs/chat-client's source (about a
 * second). A failed build is logged and the chat starts anyway; the page then says what is
 * missing. esbuild is a development dependency, so it is loaded only here.
 */
export async function buildDemoPageBundle(
  config: HistoryServiceConfig,
  logger: Logger,
): Promise<void> {
  if (!isDemoPageOn(config)) return;
  const started = Date.now();
  try {
    const { buildBrowserBundle } = await import('../chat-client/build-browser-bundle');
    const file = await buildBrowserBundle(CHAT_CLIENT_DIST);
    logger.info(
      { file: relative(process.cwd(), file), ms: Date.now() - started },
      'built the chat client for the demo page',
    );
  } catch (error) {
    logger.warn(
      { err: error },
      'could not build the chat client for the demo page (try npm run build:chat-client); the chat runs without it',
    );
  }
}
