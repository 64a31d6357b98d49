import { clientAddress } from '../src/entry-points/socket/client-address';

const handshake = (address: string, forwardedFor?: string | string[]) => ({
  address,
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
});

describe('clientAddress', () => {
  it('when no proxy is trusted, then it is the remote address and X-Forwarded-For is ignored', () => {
    expect(clientAddress(handshake('10.0.0.5', '198.51.100.7'), 0)).toBe('10.0.0.5');
  });

  it('when one proxy is trusted, then it is the entry that proxy appended, whatever the client wrote before it', () => {
    expect(clientAddress(handshake('10.0.0.5', '192.0.2.66, 203.0.113.1'), 1)).toBe('203.0.113.1');
    expect(clientAddress(handshake('10.0.0.5', ['192.0.2.66', '203.0.113.1']), 1)).toBe(
      '203.0.113.1',
    );
  });

  it('when two proxies are trusted, then it is the second entry from the right', () => {
    expect(clientAddress(handshake('10.0.0.5', '192.0.2.66, 203.0.113.1, 10.0.0.9'), 2)).toBe(
      '203.0.113.1',
    );
  });

  it('when the header has fewer hops than trusted, then it is the farthest one there is', () => {
    expect(clientAddress(handshake('10.0.0.5', '203.0.113.1'), 3)).toBe('203.0.113.1');
    expect(clientAddress(handshake('10.0.0.5'), 1)).toBe('10.0.0.5');
  });

  it('when the trusted entry is not an address, then it is the remote address', () => {
    expect(clientAddress(handshake('10.0.0.5', 'not-an-ip'), 1)).toBe('10.0.0.5');
  });

  it('when an IPv4 client arrives on a dual-stack socket, then it is the plain IPv4 address', () => {
    expect(clientAddress(handshake('::ffff:127.0.0.1'), 0)).toBe('127.0.0.1');
    expect(clientAddress(handshake('::1'), 0)).toBe('::1');
  });
});
