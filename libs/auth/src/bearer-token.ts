const BEARER = /^bearer\s+(\S+)$/i;

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, surrounding
 * whitespace ignored), or undefined when the header is absent, not a string or another scheme.
 */
export function extractBearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header.trim())?.[1];
}
