import { summarize, type Summary } from './stats';

/**
 * Open-loop load: message i of a phase is due at a time fixed in advance (t0 + i / rate), sent
 * then whether or not earlier ones were answered, and timed from that due time. A generator or
 * server that falls behind therefore shows as latency instead of as fewer, better-timed
 * samples (no coordinated omission). All times are performance.now() of the generator.
 */

/** What a step must meet to hold: the latency budget and the share of the offered rate. */
export const HOLD = { p99Ms: 250, achievedShare: 0.97 } as const;

/** A rate kept for a while; a phase is one or more, back to back on one schedule. */
export interface Segment {
  rate: number;
  durationMs: number;
}

/** Stands for the code of a send that had no acknowledgement when the phase stopped waiting. */
export const NO_ACK = 'NO_ACK';

/** Every message of a phase, one slot per index; NaN until it happened. */
export interface Phase {
  readonly tag: string;
  readonly segments: readonly Segment[];
  readonly t0: number;
  readonly count: number;
  readonly segmentOf: Uint8Array;
  readonly dueAt: Float64Array;
  readonly sentAt: Float64Array;
  readonly ackAt: Float64Array;
  readonly deliveredAt: Float64Array;
  /** 'ok', or the error code of a refused send; undefined while unanswered. */
  readonly outcome: (string | undefined)[];
}

export function createPhase(tag: string, segments: readonly Segment[], t0: number): Phase {
  const counts = segments.map(({ rate, durationMs }) => Math.round((rate * durationMs) / 1000));
  const count = counts.reduce((total, n) => total + n, 0);
  const segmentOf = new Uint8Array(count);
  const dueAt = new Float64Array(count);
  let index = 0;
  let offset = t0;
  segments.forEach(({ rate, durationMs }, segment) => {
    for (let i = 0; i < counts[segment]!; i++, index++) {
      segmentOf[index] = segment;
      dueAt[index] = offset + (i * 1000) / rate;
    }
    offset += durationMs;
  });
  const unset = () => new Float64Array(count).fill(NaN);
  return {
    tag,
    segments,
    t0,
    count,
    segmentOf,
    dueAt,
    sentAt: unset(),
    ackAt: unset(),
    deliveredAt: unset(),
    outcome: new Array<string | undefined>(count),
  };
}

/** Messages still to settle: unanswered, or accepted and not yet at the receiver. */
export function outstanding(phase: Phase): number {
  let count = 0;
  for (let i = 0; i < phase.count; i++) {
    const outcome = phase.outcome[i];
    if (outcome === undefined || (outcome === 'ok' && Number.isNaN(phase.deliveredAt[i]))) count++;
  }
  return count;
}

export interface SegmentMeasure {
  /** Offered messages/s and how long they were offered. */
  offered: number;
  durationMs: number;
  sent: number;
  ackedOk: number;
  /** Sends answered ok:false, by error code; NO_ACK = no answer by the end of the wait. */
  refused: Record<string, number>;
  /** At the receiver by the end of the wait, accepted or not. */
  delivered: number;
  /** Acknowledged ok, never at the receiver: lost. */
  lost: number;
  /** Refused (a TIMEOUT, say) and at the receiver all the same. */
  deliveredAfterRefusal: number;
  /** Delivered by the segment's end + HOLD.p99Ms, per second of the segment. */
  achieved: number;
  /** Due → the receiver's `new-message`, every delivered message. */
  endToEndMs: Summary;
  /** Due → `new-message` of the accepted messages only. */
  acceptedEndToEndMs: Summary;
  /** Due → the ok acknowledgement. */
  ackMs: Summary;
  /** Due → actually emitted: how far the generator itself was behind. */
  sendLagMs: Summary;
  /** p99 of due → `new-message` per second of the segment, by due time; see `windowsOf`. */
  windows: Window[];
}

export interface Window {
  /** Seconds from the segment's start to the window's. */
  fromSec: number;
  messages: number;
  /** Of the delivered ones; null if none was. */
  p99Ms: number | null;
  /** Refused, unanswered or lost in this window. */
  failed: number;
}

/** What happened to the messages of one segment, once the phase stopped waiting. */
export function measureSegment(phase: Phase, segment: number): SegmentMeasure {
  const { rate, durationMs } = phase.segments[segment]!;
  const start = phase.t0 + phase.segments.slice(0, segment).reduce((t, s) => t + s.durationMs, 0);
  const deadline = start + durationMs + HOLD.p99Ms;
  const refused: Record<string, number> = {};
  const endToEnd: number[] = [];
  const accepted: number[] = [];
  const ack: number[] = [];
  const lag: number[] = [];
  const windows: { messages: number; latencies: number[]; failed: number }[] = [];
  let sent = 0;
  let ackedOk = 0;
  let lost = 0;
  let deliveredAfterRefusal = 0;
  let inTime = 0;
  for (let i = 0; i < phase.count; i++) {
    if (phase.segmentOf[i] !== segment) continue;
    const due = phase.dueAt[i]!;
    const window = (windows[Math.floor((due - start) / 1000)] ??= {
      messages: 0,
      latencies: [],
      failed: 0,
    });
    window.messages++;
    if (!Number.isNaN(phase.sentAt[i])) {
      sent++;
      lag.push(phase.sentAt[i]! - due);
    }
    const outcome = phase.outcome[i] ?? NO_ACK;
    const deliveredAt = phase.deliveredAt[i]!;
    const delivered = !Number.isNaN(deliveredAt);
    if (delivered) {
      endToEnd.push(deliveredAt - due);
      window.latencies.push(deliveredAt - due);
      if (deliveredAt <= deadline) inTime++;
    }
    if (outcome === 'ok') {
      ackedOk++;
      ack.push(phase.ackAt[i]! - due);
      if (delivered) accepted.push(deliveredAt - due);
      else lost++;
    } else {
      refused[outcome] = (refused[outcome] ?? 0) + 1;
      if (delivered) deliveredAfterRefusal++;
    }
    if (outcome !== 'ok' || !delivered) window.failed++;
  }
  return {
    offered: rate,
    durationMs,
    sent,
    ackedOk,
    refused,
    delivered: endToEnd.length,
    lost,
    deliveredAfterRefusal,
    achieved: Math.round((inTime * 1000 * 10) / durationMs) / 10,
    endToEndMs: summarize(endToEnd),
    acceptedEndToEndMs: summarize(accepted),
    ackMs: summarize(ack),
    sendLagMs: summarize(lag),
    windows: windows.map(({ messages, latencies, failed }, fromSec) => ({
      fromSec,
      messages,
      p99Ms: latencies.length > 0 ? summarize(latencies).p99 : null,
      failed,
    })),
  };
}
