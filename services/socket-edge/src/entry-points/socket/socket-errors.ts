import { toAppError, type ErrorBody } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { ChatSocket } from './chat-socket';

/**
 * The one place a failed client event becomes an `error` event {message, code, ...}. Anything
 * that is not an AppError is logged and reported as INTERNAL without its details.
 */
export function reportSocketError(
  socket: ChatSocket,
  logger: Logger,
  error: unknown,
  context: { event: string; clientMessageId?: string },
): ErrorBody {
  const coded =
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    'message' in error &&
    !(error instanceof Error)
      ? (error as ErrorBody)
      : toAppError(error);
  if (coded.code === 'INTERNAL')
    logger.error({ err: error, event: context.event }, 'client event failed');
  socket.emit('error', {
    message: coded.message,
    code: coded.code,
    event: context.event,
    ...(context.clientMessageId !== undefined && { clientMessageId: context.clientMessageId }),
  });
  return { code: coded.code, message: coded.message };
}
