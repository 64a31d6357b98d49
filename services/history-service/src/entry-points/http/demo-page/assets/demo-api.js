// The demo's own endpoints on this server (history-service, development only).

const base = new URL('./', import.meta.url);

/** `{ signIn, users: [{ userId, name, role, partners }] }`. */
export async function fetchDemoUsers() {
  const response = await fetch(new URL('users.json', base), {
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`The demo users could not be loaded (${response.status})`);
  return response.json();
}

/**
 * A fresh access token of a demo user, signed by the server with the development secret. The
 * chat client asks for one at every connect and before the current one expires.
 */
export async function fetchDemoToken(userId) {
  const response = await fetch(new URL('token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new Error(body?.error?.message ?? `Signing in failed (${response.status})`);
  }
  return body.token;
}
