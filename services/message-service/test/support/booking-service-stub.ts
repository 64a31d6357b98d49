import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubBehaviour = (
  request: IncomingMessage,
  response: ServerResponse,
  query: URLSearchParams,
) => void;

/** A real HTTP server standing in for TutorGo's booking service; its answer is swappable. */
export interface BookingServiceStub {
  readonly url: string;
  /** Every request's path and query, in arrival order. */
  readonly requests: string[];
  behave(behaviour: StubBehaviour): void;
  close(): Promise<void>;
}

export async function startBookingServiceStub(): Promise<BookingServiceStub> {
  const requests: string[] = [];
  let behaviour: StubBehaviour = answer(200, { bookings: [] });
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    behaviour(request, response, new URL(request.url ?? '/', 'http://stub').searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave(next) {
      behaviour = next;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // Slow answers still pending must not keep the test waiting.
        server.closeAllConnections();
      });
    },
  };
}

/** Answers every request with `status` and `body` as JSON, after `delayMs`. */
export function answer(status: number, body: unknown, delayMs = 0): StubBehaviour {
  return (_request, response) => {
    const timer = setTimeout(() => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    }, delayMs);
    response.on('close', () => clearTimeout(timer));
  };
}

/** The bookings answer of the contract: the given statuses, one booking each. */
export function bookingsAnswer(...statuses: string[]): StubBehaviour {
  return answer(200, {
    bookings: statuses.map((status, index) => ({ bookingId: `remote-${index}`, status })),
  });
}
