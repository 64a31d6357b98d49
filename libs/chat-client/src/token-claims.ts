/**
 * The user id a JWT names (`userId`, else `sub`), read without checking the signature: the
 * server checks it; the client only needs to know whose messages are its own before the first
 * `connected` tells it. Undefined for anything that is not a readable JWT.
 */
export function userIdOfToken(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(
      decodeURIComponent(
        Array.from(
          atob(base64),
          (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
        ).join(''),
      ),
    ) as { userId?: unknown; sub?: unknown };
    const id = claims.userId ?? claims.sub;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
