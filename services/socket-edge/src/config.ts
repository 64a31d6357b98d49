import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  assertJwtConfigured,
  bookingPolicyEnv,
  envVar,
  jwtEnv,
  loadConfig,
  opsEnv,
  parse,
  serviceEnv,
  sharedEnv,
  type ConfigOf,
} from '@chat/config';

export const socketEdgeEnv = {
  ...serviceEnv,
  ...jwtEnv,
  ...bookingPolicyEnv,
  ...opsEnv,
  redisUrl: sharedEnv.redisUrl,
  port: envVar('SOCKET_EDGE_PORT', parse.port(3001), 'Port of socket-edge when it runs on its own'),
  host: sharedEnv.serviceHost,
  frontendUrls: sharedEnv.frontendUrls,
  nodeId: envVar(
    'EDGE_NODE_ID',
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .optional(),
    'Name of this edge node, unique per running node (its delivery queue is chat.edge.<id>); default <hostname>-<pid>-<random>',
  ),
  aliveTtlSec: envVar(
    'EDGE_ALIVE_TTL_SEC',
    parse.positiveInt(15, 300),
    "How long an edge node that stopped announcing itself (killed, frozen, cut off from Redis) still counts as alive; it announces itself every third of it, and every edge looks for dead nodes as often. A dead node's sockets then leave presence (no longer online, no longer counted in MAX_SOCKETS_PER_USER) and partners of users left with no socket hear user-offline: within about 4/3 of it after the death",
  ),
  messageMaxLength: sharedEnv.messageMaxLength,
  tokenExpiryNoticeSec: envVar(
    'TOKEN_EXPIRY_NOTICE_SEC',
    parse.nonNegativeInt(60, 3600),
    "How long before its token's exp a socket gets token-expiring, to send auth with a fresh token; 0 sends none",
  ),
  maxPayloadBytes: envVar(
    'SOCKET_MAX_PAYLOAD_BYTES',
    z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1024, 'must be at least 1024')
      .max(16 * 1024 * 1024, `must be at most ${16 * 1024 * 1024}`)
      .optional(),
    "Largest Socket.IO packet (or long-polling request) accepted; a bigger one closes that connection (Socket.IO's maxHttpBufferSize). Default: the largest legal send-message, 6 bytes per character of MESSAGE_MAX_LENGTH (a JSON \\uXXXX escape) plus 8 KiB for ids and framing — 32192 bytes for 4000 characters. A message over MESSAGE_MAX_LENGTH inside the bound gets PAYLOAD_TOO_LARGE",
  ),
  maxSocketsPerUser: envVar(
    'MAX_SOCKETS_PER_USER',
    parse.positiveInt(20, 10_000),
    'Sockets one user may have open at once across all edge nodes (counted in the Redis presence set; per node while Redis is away); one more is refused in the handshake with connect_error TOO_MANY_SOCKETS, the others stay connected',
  ),
  connectRateLimitPerIp: envVar(
    'CONNECT_RATE_LIMIT_PER_IP',
    parse.positiveInt(120, 1_000_000),
    'Connection attempts one client IP may make per CONNECT_RATE_WINDOW_SEC (shared by every edge through Redis); beyond it the handshake gets connect_error RATE_LIMITED with data.retryAfterSec',
  ),
  connectRateWindowSec: envVar(
    'CONNECT_RATE_WINDOW_SEC',
    parse.positiveInt(60, 3600),
    'Window of CONNECT_RATE_LIMIT_PER_IP',
  ),
  trustProxyHops: envVar(
    'TRUST_PROXY_HOPS',
    z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(10, 'must be at most 10')
      .default(0),
    "Reverse proxies in front of the edge that append to X-Forwarded-For (1 behind the compose nginx gateway); the client IP is the entry that many hops from the socket. 0: the socket's remote address, X-Forwarded-For ignored (a client could forge it)",
  ),
  joinRateLimit: envVar(
    'JOIN_RATE_LIMIT',
    parse.positiveInt(120, 100_000),
    'join-conversation events one socket may make per JOIN_RATE_WINDOW_SEC (enough to rejoin MAX_ROOMS_PER_SOCKET rooms after a reconnect); beyond it they get error RATE_LIMITED',
  ),
  joinRateWindowSec: envVar(
    'JOIN_RATE_WINDOW_SEC',
    parse.positiveInt(60, 3600),
    'Window of JOIN_RATE_LIMIT',
  ),
  typingRateLimit: envVar(
    'TYPING_RATE_LIMIT',
    parse.positiveInt(30, 100_000),
    'typing events one socket may make per TYPING_RATE_WINDOW_SEC that are not dropped as repeats (a typing=true within 2 s of the last one in the same conversation is dropped without counting); beyond it they get error RATE_LIMITED',
  ),
  typingRateWindowSec: envVar(
    'TYPING_RATE_WINDOW_SEC',
    parse.positiveInt(10, 3600),
    'Window of TYPING_RATE_LIMIT',
  ),
  markDeliveredRateLimit: envVar(
    'MARK_DELIVERED_RATE_LIMIT',
    parse.positiveInt(200, 100_000),
    'mark-delivered events one socket may make per MARK_DELIVERED_RATE_WINDOW_SEC (a client sends at most one per conversation every 250 ms, and one per conversation after connecting); beyond it they get error RATE_LIMITED',
  ),
  markDeliveredRateWindowSec: envVar(
    'MARK_DELIVERED_RATE_WINDOW_SEC',
    parse.positiveInt(10, 3600),
    'Window of MARK_DELIVERED_RATE_LIMIT',
  ),
  authRateLimit: envVar(
    'AUTH_RATE_LIMIT',
    parse.positiveInt(10, 10_000),
    'auth events (token refreshes) one socket may make per AUTH_RATE_WINDOW_SEC (a client refreshes once per token lifetime, and retries a few times at most); beyond it they get RATE_LIMITED and the socket keeps its token',
  ),
  authRateWindowSec: envVar(
    'AUTH_RATE_WINDOW_SEC',
    parse.positiveInt(60, 3600),
    'Window of AUTH_RATE_LIMIT',
  ),
  maxRoomsPerSocket: envVar(
    'MAX_ROOMS_PER_SOCKET',
    parse.positiveInt(100, 10_000),
    'Conversation rooms one socket may be in at once; joining one more gets error TOO_MANY_ROOMS (leaving one frees a slot, re-joining a joined room costs none)',
  ),
  maxPendingSendsPerSocket: envVar(
    'SOCKET_MAX_PENDING_SENDS',
    parse.positiveInt(32, 100_000),
    "send-message events one socket may have waiting for their answer; one more is refused at once with TOO_MANY_PENDING_SENDS (retryable) and not published. Keep it below SEND_BACKLOG_PER_PARTITION so one socket cannot fill a partition's backlog alone",
  ),
  sendRateLimit: envVar(
    'SEND_RATE_LIMIT',
    parse.positiveInt(30, 10_000),
    'send-message events one user may make per SEND_RATE_WINDOW_SEC',
  ),
  sendRateWindowSec: envVar(
    'SEND_RATE_WINDOW_SEC',
    parse.positiveInt(10, 3600),
    'Window of SEND_RATE_LIMIT',
  ),
  sendAckTimeoutMs: envVar(
    'SEND_ACK_TIMEOUT_MS',
    parse.positiveInt(15_000, 120_000),
    'How long a send-message waits for the stored message before its ack reports TIMEOUT',
  ),
  sendDelayedNoticeMs: envVar(
    'SEND_DELAYED_NOTICE_MS',
    parse.positiveInt(2000, 120_000),
    'How long a send-message waits before its socket gets send-delayed ("sending…"); at or above SEND_ACK_TIMEOUT_MS there is none',
  ),
  sendBacklogPerPartition: envVar(
    'SEND_BACKLOG_PER_PARTITION',
    parse.positiveInt(64, 100_000),
    'Send commands this edge keeps in flight per partition; beyond it sends are refused at once with OVERLOADED (retryable)',
  ),
  offlineQueueCap: envVar(
    'OFFLINE_QUEUE_CAP',
    parse.positiveInt(500, 100_000),
    'Most messages kept per user while offline (older ones stay in history and unread)',
  ),
  offlineQueueTtlSec: envVar(
    'OFFLINE_QUEUE_TTL_SEC',
    parse.positiveInt(7 * 24 * 3600, 90 * 24 * 3600),
    'How long an offline queue lives after its last message',
  ),
} as const;

function generatedNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '')
      .slice(0, 40) || 'edge';
  return `${host}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export type SocketEdgeConfig = Readonly<
  ConfigOf<typeof socketEdgeEnv> & { nodeId: string; maxPayloadBytes: number }
>;

/**
 * The largest send-message a client may legally emit, in bytes on the wire: each character of
 * the message may arrive as a 6-byte JSON escape (\uXXXX; UTF-8 needs at most 3 bytes per
 * UTF-16 unit), and 8 KiB covers the ids (at most ~400 characters, escaped too), keys,
 * Socket.IO's framing and the ack id.
 */
export function largestLegalPacketBytes(messageMaxLength: number): number {
  return 6 * messageMaxLength + 8 * 1024;
}

export function loadSocketEdgeConfig(env: NodeJS.ProcessEnv = process.env): SocketEdgeConfig {
  const config = loadConfig(socketEdgeEnv, env);
  assertJwtConfigured(config);
  return Object.freeze({
    ...config,
    nodeId: config.nodeId ?? generatedNodeId(),
    maxPayloadBytes: config.maxPayloadBytes ?? largestLegalPacketBytes(config.messageMaxLength),
  });
}
