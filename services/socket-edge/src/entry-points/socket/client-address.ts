import { isIP } from 'node:net';

/**
 * The client's IP address. With `trustedHops` reverse proxies in front (each appending the
 * address it received from to X-Forwarded-For), it is the entry that many hops back from the
 * socket's remote address, as Express's `trust proxy` counts them; entries further left were
 * written by the client and are ignored. With 0 the header is not read: a client could put
 * anything there.
 */
export function clientAddress(
  handshake: { address: string; headers: Record<string, string | string[] | undefined> },
  trustedHops: number,
): string {
  const remote = normalise(handshake.address);
  if (trustedHops === 0) return remote;
  const header = handshake.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  // Nearest hop first: the socket's peer, then each X-Forwarded-For entry from the right.
  const hops = [remote, ...forwarded.reverse().map(normalise)];
  const client = hops[Math.min(trustedHops, hops.length - 1)]!;
  // A trusted proxy writes addresses; anything else means a misconfigured hop count.
  return isIP(client) === 0 ? remote : client;
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; one client, one key. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
