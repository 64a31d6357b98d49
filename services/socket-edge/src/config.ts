import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  assertJwtConfigured,
  envVar,
  jwtEnv,
  loadConfig,
  parse,
  serviceEnv,
  sharedEnv,
  type ConfigOf,
} from '@chat/config';

export const socketEdgeEnv = {
  ...serviceEnv,
  ...jwtEnv,
  redisUrl: sharedEnv.redisUrl,
  port: envVar('SOCKET_EDGE_PORT', parse.port(3001), 'Port of socket-edge when it runs on its own'),
  frontendUrls: sharedEnv.frontendUrls,
  nodeId: envVar(
    'EDGE_NODE_ID',
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .optional(),
    'Name of this edge node, unique per running node (its delivery queue is chat.edge.<id>); default <hostname>-<pid>-<random>',
  ),
  messageMaxLength: sharedEnv.messageMaxLength,
  maxPayloadBytes: envVar(
    'SOCKET_MAX_PAYLOAD_BYTES',
    parse.positiveInt(2 * 1024 * 1024, 16 * 1024 * 1024),
    'Largest Socket.IO packet accepted; bigger ones close the connection, smaller oversized messages get PAYLOAD_TOO_LARGE',
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

export type SocketEdgeConfig = Readonly<ConfigOf<typeof socketEdgeEnv> & { nodeId: string }>;

export function loadSocketEdgeConfig(env: NodeJS.ProcessEnv = process.env): SocketEdgeConfig {
  const config = loadConfig(socketEdgeEnv, env);
  assertJwtConfigured(config);
  return Object.freeze({ ...config, nodeId: config.nodeId ?? generatedNodeId() });
}
