import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { canonicalConversationId, topologyNames } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import {
  TEST_JWT_SECRET,
  dropDatabasesWithPrefix,
  mintToken,
  scratchDatabasePrefix,
  testNamespace,
  testServiceUrls,
  withDatabase,
  confirmBooking,
  collect,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';

// npm run start:cluster for real: the script in a process group of its own, its five service
// processes and nginx, on free ports, a namespace and a database of its own (the cluster
// creates and migrates it). Users are pinned to edges by the gateway's sticky hash of the client
// address: each client connects from a loopback address of its own (127.0.0.x, via an
// http.Agent's localAddress), and the edge an address lands on is read from the user's presence
// set in Redis ("<nodeId>|<socketId>").

const root = join(__dirname, '..');
const logger = createLogger({ service: 'test', level: 'silent' });

interface Cluster {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  port: number;
  firstPort: number;
  /** Edge node id → the pid of its process, from the cluster's "listens" lines. */
  edgePids: Map<string, number>;
  childPids: number[];
  /** nginx's master process. */
  gatewayPid?: number;
}

let cluster: Cluster;
let namespace: string;
let databaseName: string;
let db: Db;
let redis: RedisClient;
const sockets: ClientSocket[] = [];
/** The users of the edge-kill test, after their failover (the presence test goes on with them). */
let afterFailover:
  { student: string; studentSocket: ClientSocket; tutorSocket: ClientSocket } | undefined;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port, and the first of `count` consecutive free ports. */
async function freePorts(count: number): Promise<{ single: number; first: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: count + 1 }, (_, index) => first + index);
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return { single: first + count, first };
  }
  throw new Error('no free ports');
}

function startCluster(env: Record<string, string>, port: number, firstPort: number): Cluster {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`never printed ${pattern}:\n${output.slice(-5000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    child,
    output: () => output,
    waitFor,
    exited,
    port,
    firstPort,
    edgePids: new Map(),
    childPids: [],
  };
}

/** The cluster's own JSON lines whose msg matches. */
function clusterLines(pattern: RegExp): Record<string, unknown>[] {
  return cluster
    .output()
    .split('\n')
    .filter((line) => line.includes('"service":"cluster"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => pattern.test(String(line.msg)));
}

/** Connects through the gateway from `address` (default transports: long-polling, then upgrade). */
function connectFrom(address: string, userId: string, options: { reconnect?: boolean } = {}) {
  const socket: ClientSocket = io(`http://127.0.0.1:${cluster.port}`, {
    auth: { token: mintToken(userId) },
    agent: new Agent({ localAddress: address }) as never,
    reconnection: options.reconnect ?? false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 1000,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

/** The edge node ids of the user's sockets, from the presence set every edge writes. */
async function edgesOf(userId: string): Promise<string[]> {
  const members = await redis.redis.smembers(`presence:${userId}`);
  return members.map((member) => member.split('|')[0]!).sort();
}

interface Pinned {
  edge: string;
  address: string;
}

/** Two loopback addresses the gateway sends to different edges, found by trying a few. */
async function addressesOnTwoEdges(): Promise<[Pinned, Pinned]> {
  const addressOfEdge = new Map<string, string>();
  for (let last = 2; last < 60 && addressOfEdge.size < 2; last++) {
    const address = `127.0.0.${last}`;
    const probe = newUserId('probe');
    const socket = connectFrom(address, probe);
    await nextEvent(socket, 'connected');
    const [edge] = await edgesOf(probe);
    socket.disconnect();
    if (edge && !addressOfEdge.has(edge)) addressOfEdge.set(edge, address);
  }
  const [first, second] = [...addressOfEdge].map(([edge, address]) => ({ edge, address }));
  if (!first || !second) throw new Error('every address tried landed on the same edge');
  return [first, second];
}

beforeAll(async () => {
  namespace = testNamespace('cluster');
  const urls = testServiceUrls();
  databaseName = `${scratchDatabasePrefix()}cluster_${randomBytes(3).toString('hex')}`;
  const databaseUrl = withDatabase(
    process.env.CHAT_TEST_ADMIN_DATABASE_URL || urls.databaseUrl,
    databaseName,
  );
  const { single: port, first: firstPort } = await freePorts(5);
  cluster = startCluster(
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_NAMESPACE: namespace,
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      JWT_SECRET: TEST_JWT_SECRET,
      CHAT_SERVICE_PORT: String(port),
      CLUSTER_FIRST_PORT: String(firstPort),
      OPS_PORT: '0',
      CHAT_PARTITIONS: '4',
      DATABASE_POOL_MAX: '4',
      CONNECT_RATE_LIMIT_PER_IP: '1000000',
      LOG_LEVEL: 'info',
    },
    port,
    firstPort,
  );
  await cluster.waitFor(/TutorGo chat cluster is up/, 120_000);
  for (const line of clusterLines(/ listens$/)) {
    cluster.childPids.push(line.pid as number);
    if (line.nodeId) cluster.edgePids.set(line.nodeId as string, line.pid as number);
  }
  const [up] = clusterLines(/cluster is up/);
  cluster.gatewayPid = up!.pid as number;
  db = createDb({ url: databaseUrl, poolMax: 2 }, logger);
  redis = createRedis(
    { url: urls.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix },
    logger,
  );
  await redis.ping();
}, 150_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await db?.close();
  await redis?.close();
  if (cluster?.child.pid !== undefined && cluster.child.exitCode === null) {
    try {
      process.kill(-cluster.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  // The children are in the script's process group; one a failed test left goes with it.
  for (const pid of [...(cluster?.childPids ?? []), cluster?.gatewayPid ?? 0].filter(Boolean)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (databaseName) {
    await dropDatabasesWithPrefix(
      process.env.CHAT_TEST_ADMIN_DATABASE_URL || testServiceUrls().databaseUrl,
      databaseName,
    );
  }
}, 30_000);

describe('npm run start:cluster', () => {
  it('when started, then the gateway alone faces clients: Socket.IO and REST on CHAT_SERVICE_PORT, /metrics not routed, every service process on loopback ports of its own', async () => {
    expect(cluster.edgePids.size).toBe(2);
    expect(cluster.childPids).toHaveLength(5);
    expect(clusterLines(/ listens$/).map((line) => line.url)).toEqual(
      [0, 1, 2, 3, 4].map((offset) => `http://127.0.0.1:${cluster.firstPort + offset}`),
    );
    const base = `http://127.0.0.1:${cluster.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/chat/conversations/someone`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const polling = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
    expect(await polling.text()).toMatch(/"sid"/);
    // SERVICE_HOST=127.0.0.1: an edge is not reachable on another address, only via the gateway.
    expect((await fetch(`http://127.0.0.1:${cluster.firstPort}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.2:${cluster.firstPort}/healthz`)).rejects.toThrow();
  });

  it('when two users connect through the gateway from addresses the sticky hash sends to different edges, then each stays on its edge over long-polling and the upgrade, and they chat both ways', async () => {
    const [{ edge: edgeA, address: addressA }, { edge: edgeB, address: addressB }] =
      await addressesOnTwoEdges();
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(db, student, tutor);
    const conversationId = canonicalConversationId(student, tutor);
    const studentSocket = connectFrom(addressA, student);
    const tutorSocket = connectFrom(addressB, tutor);
    await Promise.all([nextEvent(studentSocket, 'connected'), nextEvent(tutorSocket, 'connected')]);
    // The upgrade from polling to websocket only works when both reach the same edge.
    await eventually(
      () =>
        studentSocket.io.engine.transport.name === 'websocket' &&
        tutorSocket.io.engine.transport.name === 'websocket',
    );
    expect(await edgesOf(student)).toEqual([edgeA]);
    expect(await edgesOf(tutor)).toEqual([edgeB]);

    const toTutor = nextEvent(tutorSocket, 'new-message');
    const sent = await sendWithAck(studentSocket, {
      conversationId,
      receiverId: tutor,
      message: 'from edge A',
    });
    expect(sent).toMatchObject({ ok: true });
    expect((await toTutor).message).toBe('from edge A');
    const toStudent = nextEvent(studentSocket, 'new-message');
    await sendWithAck(tutorSocket, { conversationId, receiverId: student, message: 'from edge B' });
    expect((await toStudent).message).toBe('from edge B');
  }, 60_000);

  it('when one edge process is SIGKILLed, then its users reconnect through the gateway to the other edge, get what they missed and chat on, and the cluster goes on without it', async () => {
    const [doomed, surviving] = await addressesOnTwoEdges();
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(db, student, tutor);
    const conversationId = canonicalConversationId(student, tutor);
    const studentSocket = connectFrom(doomed.address, student, { reconnect: true });
    const tutorSocket = connectFrom(surviving.address, tutor);
    const studentConnects = collect(studentSocket, 'connected');
    const studentReceived = collect(studentSocket, 'new-message');
    await nextEvent(tutorSocket, 'connected');
    await eventually(() => studentConnects.length === 1);
    expect(await edgesOf(student)).toEqual([doomed.edge]);

    const disconnected = new Promise((resolve) => studentSocket.once('disconnect', resolve));
    process.kill(cluster.edgePids.get(doomed.edge)!, 'SIGKILL');
    await disconnected;
    // Sent while the student is away (or already back): it must reach the student once.
    const missed = await sendWithAck(tutorSocket, {
      conversationId,
      receiverId: student,
      message: 'while you were away',
    });
    expect(missed).toMatchObject({ ok: true });

    await eventually(() => studentConnects.length === 2, 30_000);
    // The dead edge never removed its socket: the presence set keeps it until its TTL (see below).
    expect(await edgesOf(student)).toEqual([doomed.edge, surviving.edge].sort());
    const got = [...studentConnects[1]!.queuedMessages, ...studentReceived].map(
      (message) => message.message,
    );
    expect(got).toEqual(['while you were away']);
    // History through the gateway agrees: nothing after it was missed.
    const history = await fetch(
      `http://127.0.0.1:${cluster.port}/chat/messages/${conversationId}`,
      { headers: { authorization: `Bearer ${mintToken(student)}` } },
    );
    expect(history.status).toBe(200);
    expect(JSON.stringify(await history.json())).toContain('while you were away');

    const toTutor = nextEvent(tutorSocket, 'new-message');
    await sendWithAck(studentSocket, { conversationId, receiverId: tutor, message: 'back again' });
    expect((await toTutor).message).toBe('back again');

    expect(clusterLines(/exited unexpectedly; the cluster goes on/)).toHaveLength(1);
    afterFailover = { student, studentSocket, tutorSocket };
  }, 90_000);

  // The SIGKILLed edge left its socket in the student's presence set ("<dead node>|<socket>"):
  // once its alive key expired (EDGE_ALIVE_TTL_SEC, 15 s), a surviving edge's reaper removed it,
  // so the student's socket on the surviving edge is the last one and its leaving is told.
  it('when the user of a killed edge leaves after the failover, then the partner hears user-offline within 30 s', async () => {
    const { student, studentSocket, tutorSocket } = afterFailover!;
    const offline = nextEvent(tutorSocket, 'user-offline', 30_000);
    studentSocket.disconnect();
    expect(await offline).toEqual({ userId: student });
  }, 45_000);

  it('when SIGTERM reaches the cluster, then every child stops and it exits 0', async () => {
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    expect(cluster.output()).toMatch(/"service":"cluster".*"msg":"stopped"/);
    for (const pid of [...cluster.childPids, cluster.gatewayPid!]) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  }, 60_000);
});
