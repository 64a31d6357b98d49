import { ChatClientError } from './errors';

export interface TokenSource {
  /** The token got last, or a fresh one when there is none yet. */
  current(): Promise<string>;
  /** Asks the application for a fresh token; concurrent calls share one request. */
  fresh(): Promise<string>;
}

/**
 * The application's `getToken`, called for every handshake, on `token-expiring` and after a
 * REST 401; REST requests in between reuse the last token. A failure or an empty token is a
 * TOKEN_UNAVAILABLE ChatClientError.
 */
export function createTokenSource(getToken: () => Promise<string> | string): TokenSource {
  let last: string | undefined;
  let asking: Promise<string> | undefined;

  const fresh = () => {
    asking ??= (async () => {
      try {
        const token = await getToken();
        if (typeof token !== 'string' || token.length === 0) {
          throw new ChatClientError('TOKEN_UNAVAILABLE', 'getToken gave no token');
        }
        last = token;
        return token;
      } catch (error) {
        if (error instanceof ChatClientError) throw error;
        throw new ChatClientError('TOKEN_UNAVAILABLE', 'getToken failed', { cause: error });
      } finally {
        asking = undefined;
      }
    })();
    return asking;
  };

  return {
    current: () => (last === undefined ? fresh() : Promise.resolve(last)),
    fresh,
  };
}
