/**
 * TutorGo's auth service signs more than access tokens with the same key: password-reset
 * links carry a `purpose`, and a refresh or ID token, from TutorGo or an identity provider put
 * in front of it, says what it is in a type claim. Only access tokens may open a session.
 * TutorGo's own access tokens carry none of these claims; an access token of another issuer
 * may say so in any of them.
 */

/** Claims issuers use to say what kind of token it is (Keycloak `typ`, Cognito `token_use`, …). */
const TYPE_CLAIMS = ['typ', 'type', 'token_type', 'token_use'] as const;

/** Values of those claims and of the JOSE header's `typ` that mean "access token" (RFC 9068). */
const ACCESS_TYPES = new Set(['access', 'access_token', 'at+jwt', 'application/at+jwt']);

/** What a JOSE header's `typ` may say besides an access type: the generic "JWT". */
const GENERIC_HEADER_TYPES = new Set(['jwt', 'application/jwt']);

/**
 * Why the token is not an access token, or undefined when nothing says it is another kind.
 * Absent type claims are fine (TutorGo's access tokens have none); a present one must say
 * "access" (case-insensitive).
 */
export function notAnAccessTokenReason(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): string | undefined {
  if (Object.hasOwn(payload, 'purpose')) return 'it carries a purpose';
  for (const claim of TYPE_CLAIMS) {
    if (!Object.hasOwn(payload, claim)) continue;
    const value = payload[claim];
    if (typeof value !== 'string' || !ACCESS_TYPES.has(value.toLowerCase())) {
      return `its ${claim} claim does not say "access"`;
    }
  }
  const headerType = header.typ;
  if (headerType !== undefined) {
    const type = typeof headerType === 'string' ? headerType.toLowerCase() : '';
    if (!ACCESS_TYPES.has(type) && !GENERIC_HEADER_TYPES.has(type)) {
      return 'its header typ is neither JWT nor an access token type';
    }
  }
  return undefined;
}
