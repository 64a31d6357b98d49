// Child process of the sweep scenario: the open-loop load generator. Its CPU is not the
// server's, so the server process's CPU per message is the services' alone, and a generator
// that cannot keep up shows in its own CPU and send lag instead of slowing the server down.
import type { SendMessageAck } from '@chat/contracts';
import { closeAllSockets, connectUser, mapLimit, type ClientSocket } from './clients';
import { messageBody, type Pair } from './fixtures';
import {
  createPhase,
  measureSegment,
  outstanding,
  type Phase,
  type Segment,
  type SegmentMeasure,
} from './open-loop';
import { now } from './stats';

export type GeneratorCommand =
  /** `addresses[i]`: the local addresses pair i's users connect from (undefined: the default). */
  | { type: 'connect'; baseUrl: string; pairs: Pair[]; addresses: ClientAddresses[] }
  /** Sends the segments back to back, then waits up to `drainMs` for every answer and delivery. */
  | { type: 'run'; tag: string; segments: Segment[]; drainMs: number };

export type GeneratorReport =
  | { type: 'connected' }
  | { type: 'done'; tag: string; segments: SegmentMeasure[]; drained: boolean; drainMs: number }
  | { type: 'failed'; message: string };

export interface ClientAddresses {
  tutor: string | undefined;
  student: string | undefined;
}

interface Sender {
  pair: Pair;
  socket: ClientSocket;
}

const reply = (report: GeneratorReport) => process.send?.(report);

let senders: Sender[] = [];
/** Every phase so far by tag, so a late answer still lands in its own phase. */
const phases = new Map<string, Phase>();

/** clientMessageId `<tag>.<index>`: unique per run, and it leads back to the slot. */
function slotOf(clientMessageId: string | undefined): { phase: Phase; index: number } | undefined {
  const dot = clientMessageId?.lastIndexOf('.') ?? -1;
  if (dot < 0) return undefined;
  const phase = phases.get(clientMessageId!.slice(0, dot));
  const index = Number(clientMessageId!.slice(dot + 1));
  return phase && index < phase.count ? { phase, index } : undefined;
}

async function connect(
  baseUrl: string,
  pairs: Pair[],
  addresses: ClientAddresses[],
): Promise<void> {
  senders = await mapLimit(pairs, 20, async (pair, index) => {
    const from = addresses[index];
    const { socket: receiver } = await connectUser(baseUrl, pair.tutor, {
      localAddress: from?.tutor,
    });
    receiver.on('new-message', (message) => {
      const at = now();
      const slot = slotOf(message.clientMessageId);
      if (slot && Number.isNaN(slot.phase.deliveredAt[slot.index])) {
        slot.phase.deliveredAt[slot.index] = at;
      }
    });
    const { socket } = await connectUser(baseUrl, pair.student, { localAddress: from?.student });
    return { pair, socket };
  });
}

function send(phase: Phase, index: number): void {
  // Round robin: consecutive messages come from different senders.
  const { pair, socket } = senders[index % senders.length]!;
  phase.sentAt[index] = now();
  socket.emit(
    'send-message',
    {
      conversationId: pair.conversationId,
      receiverId: pair.tutor,
      message: messageBody(index),
      clientMessageId: `${phase.tag}.${index}`,
    },
    (ack: SendMessageAck) => {
      phase.ackAt[index] = now();
      phase.outcome[index] = ack.ok ? 'ok' : ack.error.code;
    },
  );
}

/** Emits each message when it is due; behind schedule, it catches up without waiting. */
function sendOnSchedule(phase: Phase): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const tick = () => {
      const at = now();
      while (next < phase.count && phase.dueAt[next]! <= at) send(phase, next++);
      if (next >= phase.count) resolve();
      else setTimeout(tick, Math.max(0, phase.dueAt[next]! - now()));
    };
    tick();
  });
}

async function run(tag: string, segments: Segment[], drainMs: number): Promise<GeneratorReport> {
  const phase = createPhase(tag, segments, now());
  phases.set(tag, phase);
  await sendOnSchedule(phase);
  const sentAt = now();
  while (outstanding(phase) > 0 && now() - sentAt < drainMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    type: 'done',
    tag,
    segments: segments.map((_, segment) => measureSegment(phase, segment)),
    drained: outstanding(phase) === 0,
    drainMs: Math.round(now() - sentAt),
  };
}

process.on('message', (command: GeneratorCommand) => {
  const work =
    command.type === 'connect'
      ? connect(command.baseUrl, command.pairs, command.addresses).then((): GeneratorReport => ({
          type: 'connected',
        }))
      : run(command.tag, command.segments, command.drainMs);
  work.then(reply, (error: unknown) =>
    reply({ type: 'failed', message: (error as Error).message }),
  );
});

// Done, or the bench went away (Ctrl-C, crash): take the sockets with us.
process.on('disconnect', () => {
  closeAllSockets();
  process.exit(0);
});
