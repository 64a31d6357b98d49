import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, envVar, loadConfig, sharedEnv, type ConfigOf } from '@chat/config';

/** What npm run start:cluster reads itself; each child reads its own service's schema. */
export const clusterEnv = {
  nodeEnv: sharedEnv.nodeEnv,
  logLevel: sharedEnv.logLevel,
  shutdownTimeoutMs: sharedEnv.shutdownTimeoutMs,
  databaseUrl: sharedEnv.databaseUrl,
  chatServicePort: sharedEnv.chatServicePort,
  chatServiceHost: sharedEnv.chatServiceHost,
  opsHost: sharedEnv.opsHost,
  opsPort: sharedEnv.opsPort,
  firstPort: envVar(
    'CLUSTER_FIRST_PORT',
    z.coerce
      .number({ message: 'must be a port number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65531')
      .max(65531, 'must be between 1 and 65531')
      .default(3012),
    'First of the five consecutive loopback ports npm run start:cluster gives its processes: socket-edge 1 and 2, history-service, message-service 1 and 2 (health probes); their ops servers take OPS_PORT to OPS_PORT+4 (any free port each with OPS_PORT=0)',
  ),
} as const;

export type ClusterConfig = ConfigOf<typeof clusterEnv>;

/** Every child listens here: only the gateway faces clients (see SERVICE_HOST). */
export const CHILD_HOST = '127.0.0.1';

export type ClusterRole = 'socket-edge' | 'message-service' | 'history-service';

export interface ClusterProcess {
  /** e.g. socket-edge-2: the name in the cluster's log lines. */
  name: string;
  role: ClusterRole;
  /** The entry point, run as `node --import tsx <script>`. */
  script: string;
  /** Its HTTP port on CHILD_HOST: Socket.IO, REST or message-service's probes. */
  port: number;
  /** Its ops server's port (0: any free port). */
  opsPort: number;
  /** What it gets on top of the cluster's own environment. */
  env: Record<string, string>;
}

const ROLES: { role: ClusterRole; count: number; portEnv: string }[] = [
  { role: 'socket-edge', count: 2, portEnv: 'SOCKET_EDGE_PORT' },
  { role: 'history-service', count: 1, portEnv: 'HISTORY_SERVICE_PORT' },
  { role: 'message-service', count: 2, portEnv: 'MESSAGE_SERVICE_HEALTH_PORT' },
];

export function loadClusterConfig(env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  return loadConfig(clusterEnv, env);
}

/**
 * Two socket-edges, one history-service and two message-services: their ports (firstPort on,
 * in that order), ops ports (OPS_PORT on) and env. Edge node ids carry this machine's name and
 * the cluster's pid, so two clusters on one broker never share a delivery queue.
 */
export function planCluster(config: ClusterConfig, clusterPid = process.pid): ClusterProcess[] {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '')
      .slice(0, 40) || 'cluster';
  const processes: ClusterProcess[] = [];
  for (const { role, count, portEnv } of ROLES) {
    for (let number = 1; number <= count; number++) {
      const index = processes.length;
      const name = count > 1 ? `${role}-${number}` : role;
      const port = config.firstPort + index;
      const opsPort = config.opsPort === 0 ? 0 : config.opsPort + index;
      processes.push({
        name,
        role,
        script: `services/${role}/src/main.ts`,
        port,
        opsPort,
        env: {
          [portEnv]: String(port),
          SERVICE_HOST: CHILD_HOST,
          OPS_PORT: String(opsPort),
          ...(role === 'socket-edge' && {
            EDGE_NODE_ID: `${host}-${clusterPid}-edge${number}`,
            // The gateway is the one proxy in front: its X-Forwarded-For entry is the client.
            TRUST_PROXY_HOPS: '1',
          }),
        },
      });
    }
  }
  assertDistinctPorts(config, processes);
  return processes;
}

function assertDistinctPorts(config: ClusterConfig, processes: ClusterProcess[]): void {
  const taken = new Map<number, string>([[config.chatServicePort, 'CHAT_SERVICE_PORT']]);
  const claim = (port: number, env: string) => {
    if (port === 0) return;
    const other = taken.get(port);
    if (other !== undefined) {
      throw new ConfigError([
        { env, message: `gives port ${port} to two processes (${other} has it too)` },
      ]);
    }
    taken.set(port, env);
  };
  for (const child of processes) claim(child.port, 'CLUSTER_FIRST_PORT');
  for (const child of processes) claim(child.opsPort, 'OPS_PORT');
  const last = processes.at(-1)!.opsPort;
  if (last > 65535) {
    throw new ConfigError([{ env: 'OPS_PORT', message: `must be at most ${65535 - 4}` }]);
  }
}
