import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createTokenVerifier, extractBearerToken, type TokenVerifier } from '@chat/auth';
import { AppError, type ErrorCode } from '@chat/errors';
import { TEST_JWT_SECRET, mintToken } from '@chat/testing';

const nowSec = () => Math.floor(Date.now() / 1000);

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Builds a token by hand, so tests can produce what jsonwebtoken refuses to sign. */
function handMadeToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  hmacKey?: string,
): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature =
    hmacKey === undefined
      ? ''
      : createHmac('sha256', hmacKey).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

function rejectionOf(verifier: TokenVerifier, token: unknown): AppError {
  try {
    verifier.verify(token);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the token to be refused');
}

function expectRejected(verifier: TokenVerifier, token: unknown, code: ErrorCode): AppError {
  const error = rejectionOf(verifier, token);
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  if (typeof token === 'string' && token.length > 0) {
    expect(error.message).not.toContain(token);
  }
  return error;
}

describe('createTokenVerifier with an HS256 secret', () => {
  const verifier = createTokenVerifier({ secret: TEST_JWT_SECRET });

  it('when the token is a valid TutorGo access token, then its user, email and role are read', () => {
    const exp = nowSec() + 600;
    const token = mintToken('user-123', {
      claims: { email: 'ada@example.com', role: 'tutor', exp },
    });

    expect(verifier.verify(token)).toEqual({
      userId: 'user-123',
      email: 'ada@example.com',
      role: 'tutor',
      expiresAt: new Date(exp * 1000),
    });
  });

  it('when userId is absent but sub is set, then sub is the user id', () => {
    const token = mintToken('ignored', { claims: { userId: undefined, sub: 'user-from-sub' } });

    expect(verifier.verify(token).userId).toBe('user-from-sub');
  });

  it('when both userId and sub are set, then userId wins', () => {
    const token = mintToken('user-a', { claims: { sub: 'auth0|something-else' } });

    expect(verifier.verify(token).userId).toBe('user-a');
  });

  it('when the token has expired, then it is refused with TOKEN_EXPIRED', () => {
    const token = mintToken('user-1', { claims: { exp: nowSec() - 60 } });

    const error = expectRejected(verifier, token, 'TOKEN_EXPIRED');
    expect(error.message).toBe('The token has expired');
  });

  it('when the token is not valid yet (nbf in the future), then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { claims: { nbf: nowSec() + 600 } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/not valid yet/);
  });

  it('when the token is signed with another secret, then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { secret: 'another-secret-at-least-32-characters' });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/signature/);
  });

  it('when the token is unsigned (alg none), then it is refused as UNAUTHENTICATED', () => {
    const token = handMadeToken(
      { alg: 'none', typ: 'JWT' },
      { userId: 'user-1', exp: nowSec() + 600 },
    );

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/not signed/);
  });

  it('when the token carries no userId and no sub, then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('ignored', { claims: { userId: undefined, email: 'a@example.com' } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/no user id/);
  });

  it('when the user id has characters a conversation id cannot carry, then it is refused as UNAUTHENTICATED', () => {
    expectRejected(verifier, mintToken('user_1'), 'UNAUTHENTICATED');
    expectRejected(verifier, mintToken(''), 'UNAUTHENTICATED');
    expectRejected(verifier, mintToken('x', { claims: { userId: 42 } }), 'UNAUTHENTICATED');
  });

  it('when a claim we read has the wrong shape, then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { claims: { role: ['tutor'] } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/role/);
  });

  it('when the token carries a purpose (a password-reset token), then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { claims: { purpose: 'password-reset' } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(
      /not an access token/,
    );
  });

  it('when the token has no exp, then it is refused as UNAUTHENTICATED because it never expires', () => {
    const token = mintToken('user-1', { expiresIn: null });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toBe(
      'The token has no expiry (exp); tokens that never expire are refused',
    );
  });

  it('when a real TutorGo access token (userId, email, role, exp, iat) is given, then it is accepted', () => {
    const iat = nowSec() - 5;
    const token = handMadeToken(
      { alg: 'HS256', typ: 'JWT' },
      { userId: 'user-7', email: 'b@example.com', role: 'student', iat, exp: iat + 3600 },
      TEST_JWT_SECRET,
    );

    expect(verifier.verify(token)).toMatchObject({ userId: 'user-7', role: 'student' });
  });

  it.each([
    ['typ', 'Refresh'],
    ['typ', 'ID'],
    ['type', 'refresh'],
    ['token_type', 'refresh'],
    ['token_use', 'id'],
    ['type', 'password-reset'],
    ['typ', 42],
  ])('when the %s claim is %j, then it is refused as not an access token', (claim, value) => {
    const token = mintToken('user-1', { claims: { [claim]: value } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toBe(
      `The token is not an access token: its ${claim} claim does not say "access"`,
    );
  });

  it.each([
    ['typ', 'access'],
    ['type', 'Access'],
    ['token_type', 'access'],
    ['token_use', 'access'],
    ['typ', 'at+jwt'],
  ])('when the %s claim is %j, then the access token is accepted', (claim, value) => {
    const token = mintToken('user-1', { claims: { [claim]: value } });

    expect(verifier.verify(token).userId).toBe('user-1');
  });

  it.each(['refresh+jwt', 'secevent+jwt', 'dpop+jwt'])(
    'when the header typ is %j, then it is refused as not an access token',
    (typ) => {
      const token = handMadeToken(
        { alg: 'HS256', typ },
        { userId: 'user-1', exp: nowSec() + 600 },
        TEST_JWT_SECRET,
      );

      expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(
        /not an access token: its header typ/,
      );
    },
  );

  it.each(['JWT', 'at+jwt', 'application/at+jwt'])(
    'when the header typ is %j, then the token is accepted',
    (typ) => {
      const token = handMadeToken(
        { alg: 'HS256', typ },
        { userId: 'user-1', exp: nowSec() + 600 },
        TEST_JWT_SECRET,
      );

      expect(verifier.verify(token).userId).toBe('user-1');
    },
  );

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
    ['a number', 12345],
    ['an object', { token: 'x' }],
    ['garbage', 'not-a-jwt'],
    ['three garbage parts', 'aaa.bbb.ccc'],
    ['a bearer header instead of the token', `Bearer ${mintToken('user-1')}`],
  ])('when the token is %s, then it is refused as UNAUTHENTICATED', (_label, token) => {
    expectRejected(verifier, token, 'UNAUTHENTICATED');
  });

  it('when a token is refused, then the message never echoes the token', () => {
    const token = mintToken('user-1', { secret: 'another-secret-at-least-32-characters' });

    const error = rejectionOf(verifier, token);
    for (const part of token.split('.')) expect(error.message).not.toContain(part);
  });
});

describe('createTokenVerifier with issuer and audience', () => {
  const verifier = createTokenVerifier({
    secret: TEST_JWT_SECRET,
    issuer: 'tutorgo-auth',
    audience: 'tutorgo-chat',
  });

  it('when iss and aud match, then the token is accepted', () => {
    const token = mintToken('user-1', { claims: { iss: 'tutorgo-auth', aud: 'tutorgo-chat' } });

    expect(verifier.verify(token).userId).toBe('user-1');
  });

  it('when the issuer is wrong, then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { claims: { iss: 'someone-else', aud: 'tutorgo-chat' } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/issuer/);
  });

  it('when the audience is wrong, then it is refused as UNAUTHENTICATED', () => {
    const token = mintToken('user-1', { claims: { iss: 'tutorgo-auth', aud: 'tutorgo-admin' } });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/audience/);
  });

  it('when iss and aud are missing, then it is refused as UNAUTHENTICATED', () => {
    expectRejected(verifier, mintToken('user-1'), 'UNAUTHENTICATED');
  });
});

describe('createTokenVerifier with an RS256 public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const verifier = createTokenVerifier({ publicKey });

  it('when the token is signed with the matching private key, then it is accepted', () => {
    const token = mintToken('user-rs', { privateKey, claims: { role: 'student' } });

    expect(verifier.verify(token)).toMatchObject({ userId: 'user-rs', role: 'student' });
  });

  it('when an HS256 token is forged with the public key PEM as the HMAC secret, then it is refused', () => {
    const token = handMadeToken(
      { alg: 'HS256', typ: 'JWT' },
      { userId: 'user-rs', exp: nowSec() + 600 },
      publicKey,
    );

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/algorithm/);
  });

  it('when the token is an HS256 token signed with a secret, then it is refused', () => {
    expectRejected(verifier, mintToken('user-rs'), 'UNAUTHENTICATED');
  });

  it('when the token is unsigned (alg none), then it is refused', () => {
    const token = handMadeToken({ alg: 'none' }, { userId: 'user-rs', exp: nowSec() + 600 });

    expect(expectRejected(verifier, token, 'UNAUTHENTICATED').message).toMatch(/not signed/);
  });

  it('when the token is signed with another private key, then it is refused', () => {
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });

    expectRejected(
      verifier,
      mintToken('user-rs', { privateKey: other.privateKey }),
      'UNAUTHENTICATED',
    );
  });
});

describe('createTokenVerifier configuration', () => {
  it('when neither secret nor publicKey is given, then construction throws', () => {
    expect(() => createTokenVerifier({})).toThrow(/exactly one of secret/);
    expect(() => createTokenVerifier({ secret: '' })).toThrow(/exactly one of secret/);
  });

  it('when both secret and publicKey are given, then construction throws', () => {
    const { publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });

    expect(() => createTokenVerifier({ secret: TEST_JWT_SECRET, publicKey })).toThrow(
      /exactly one of secret/,
    );
  });

  it('when publicKey is not a PEM key, then construction throws', () => {
    expect(() => createTokenVerifier({ publicKey: 'not a key' })).toThrow(/valid PEM key/);
  });

  it('when a clock tolerance is configured, then a token that just expired is still accepted', () => {
    const verifier = createTokenVerifier({ secret: TEST_JWT_SECRET, clockToleranceSec: 30 });
    const token = mintToken('user-1', { claims: { exp: nowSec() - 5 } });

    expect(verifier.verify(token).userId).toBe('user-1');
  });

  it('when a token expired longer ago than the clock tolerance, then it is refused with TOKEN_EXPIRED', () => {
    const verifier = createTokenVerifier({ secret: TEST_JWT_SECRET, clockToleranceSec: 30 });
    const token = mintToken('user-1', { claims: { exp: nowSec() - 60 } });

    expectRejected(verifier, token, 'TOKEN_EXPIRED');
  });

  it('when the clock tolerance is negative or beyond 300 s, then construction throws', () => {
    expect(() => createTokenVerifier({ secret: TEST_JWT_SECRET, clockToleranceSec: -1 })).toThrow(
      /between 0 and 300/,
    );
    expect(() => createTokenVerifier({ secret: TEST_JWT_SECRET, clockToleranceSec: 301 })).toThrow(
      /between 0 and 300/,
    );
  });
});

describe('extractBearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER abc.def.ghi', 'abc.def.ghi'],
    ['  Bearer   abc.def.ghi  ', 'abc.def.ghi'],
  ])('when the header is %j, then the token is %j', (header, token) => {
    expect(extractBearerToken(header)).toBe(token);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['Bearer abc']],
    ['empty', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer   '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a token without scheme', 'abc.def.ghi'],
    ['two tokens', 'Bearer abc def'],
  ])('when the header is %s, then there is no token', (_label, header) => {
    expect(extractBearerToken(header)).toBeUndefined();
  });
});
