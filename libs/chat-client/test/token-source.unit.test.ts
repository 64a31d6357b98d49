import { createTokenSource } from '../src/token-source';

describe('createTokenSource', () => {
  it('when tokens are asked for at once, then getToken is called once; current() reuses the last token, fresh() asks again', async () => {
    let calls = 0;
    const tokens = createTokenSource(async () => `token-${++calls}`);
    const [a, b] = await Promise.all([tokens.fresh(), tokens.current()]);
    expect([a, b, calls]).toEqual(['token-1', 'token-1', 1]);
    await expect(tokens.current()).resolves.toBe('token-1');
    await expect(tokens.fresh()).resolves.toBe('token-2');
  });

  it('when getToken fails or gives nothing, then TOKEN_UNAVAILABLE, and the next call asks again', async () => {
    const answers: (() => Promise<string> | string)[] = [
      () => Promise.reject(new Error('auth service down')),
      () => '',
      () => 'token',
    ];
    const tokens = createTokenSource(() => answers.shift()!());
    await expect(tokens.fresh()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    await expect(tokens.fresh()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    await expect(tokens.fresh()).resolves.toBe('token');
  });
});
