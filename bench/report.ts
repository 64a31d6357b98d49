import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineInfo } from './machine';
import { SERVER_GROUPS } from './proc-stat';
import type { BenchOptions } from './options';
import type { HistoryResult } from './scenarios/history';
import type { IdleSocketsResult } from './scenarios/idle-sockets';
import type { OfflineDrainResult } from './scenarios/offline-drain';
import { refusedText, windowsText, type SweepResult } from './scenarios/sweep';
import type { ThroughputResult } from './scenarios/throughput';
import type { MemorySnapshot, Summary } from './stats';

export interface BenchReport {
  startedAt: string;
  durationSec: number;
  machine: MachineInfo;
  parameters: BenchOptions & { settings: Record<string, string | number> };
  results: {
    throughput?: ThroughputResult;
    offlineDrain?: OfflineDrainResult;
    history?: HistoryResult;
    idleSockets?: IdleSocketsResult;
    sweep?: SweepResult;
    memory: { start: MemorySnapshot; end: MemorySnapshot; peakRssMb: number };
  };
}

interface Table {
  header: string[];
  rows: (string | number)[][];
}
interface Section {
  title: string;
  tables: Table[];
}

const LATENCY_HEADER = ['latency (ms)', 'p50', 'p95', 'p99', 'max', 'mean', 'samples'];
const latencyRow = (name: string, s: Summary) => [
  name,
  s.p50,
  s.p95,
  s.p99,
  s.max,
  s.mean,
  s.count,
];
/** A table without a header: a measure and its value, printed left-aligned. */
const keyValues = (rows: (string | number)[][]): Table => ({ header: ['', ''], rows });
const mbRow = (name: string, m: MemorySnapshot) => [name, m.rssMb, m.heapUsedMb, m.externalMb];

/** The report as titled tables, the same for the terminal and for Markdown. */
function sections(report: BenchReport): Section[] {
  const { machine, results: r } = report;
  const out: Section[] = [
    {
      title: 'Machine',
      tables: [
        keyValues([
          ['CPUs', `${machine.cpus} × ${machine.cpuModel}`],
          ['memory', `${machine.memoryGb} GB (${machine.freeMemoryGb} GB free at start)`],
          ['OS / Node', `${machine.os} / ${machine.node}`],
          ['load average at start', machine.loadAverage.join(' ')],
          ...Object.entries(machine.services),
          ...Object.entries(report.parameters.settings),
        ]),
      ],
    },
  ];
  if (r.throughput) {
    const t = r.throughput;
    out.push({
      title: `Throughput: ${t.pairs} pairs × ${t.messagesPerSender} messages, ≤ ${t.inflightPerSender} in flight per sender`,
      tables: [
        keyValues([
          ['delivered / sent (failed)', `${t.delivered} / ${t.sent} (${t.failed})`],
          ['duration', `${t.durationMs} ms`],
          ['throughput', `${t.messagesPerSec} messages/s`],
          ['process CPU', `${t.load.cpuPercent} % of one core`],
          [
            'event-loop delay p99 / max',
            `${t.load.eventLoopDelayMs.p99} / ${t.load.eventLoopDelayMs.max} ms`,
          ],
        ]),
        {
          header: LATENCY_HEADER,
          rows: [
            latencyRow('emit → ack', t.ackMs),
            latencyRow('emit → new-message', t.endToEndMs),
            latencyRow('unloaded: emit → ack', t.unloaded.ackMs),
            latencyRow('unloaded: emit → new-message', t.unloaded.endToEndMs),
          ],
        },
      ],
    });
  }
  if (r.offlineDrain) {
    const o = r.offlineDrain;
    out.push({
      title: `Offline drain: ${o.messages} messages to an offline receiver`,
      tables: [
        keyValues([
          ['sent (failed)', `${o.messages} (${o.failed}) in ${o.sendMs} ms`],
          ['all in the offline queue after', `${o.queuedMs} ms`],
          ['queued messages in connected', `${o.received} (${o.payloadKb} KB)`],
          ['connect → connected, each round', o.roundsMs.map((ms) => `${ms} ms`).join(', ')],
        ]),
        { header: LATENCY_HEADER, rows: [latencyRow('connect → connected', o.connectedMs)] },
      ],
    });
  }
  if (r.history) {
    const h = r.history;
    out.push({
      title: `History REST: ${h.requests} × GET /chat/messages/:id?limit=${h.pageSize}, ${h.concurrency} concurrent`,
      tables: [
        keyValues([
          ['failed', h.failed],
          ['duration', `${h.durationMs} ms`],
          ['throughput', `${h.requestsPerSec} requests/s`],
          ['response', `${h.responseKb} KB (${h.pageSize} of ${h.conversationMessages} messages)`],
          ['process CPU', `${h.load.cpuPercent} % of one core`],
        ]),
        { header: LATENCY_HEADER, rows: [latencyRow('request', h.latencyMs)] },
      ],
    });
  }
  const memoryRows = [mbRow('start (after the stack started)', r.memory.start)];
  if (r.idleSockets) {
    const i = r.idleSockets;
    memoryRows.push(
      mbRow(`before ${i.sockets} idle sockets`, i.serverBefore),
      mbRow(`${i.sockets} idle sockets connected`, i.serverConnected),
      mbRow('after they disconnected', i.serverAfterDisconnect),
    );
    out.push({
      title: `Idle sockets: ${i.sockets} users connect one socket each`,
      tables: [
        keyValues([
          ['connect (50 at a time)', `${i.connectMs} ms, ${i.connectsPerSec} connects/s`],
          ['CPU ms per connect', idleCpuPerConnect(i.cpuMsPerConnect)],
          [
            `all again, ${i.storm.concurrency} at a time`,
            `${i.storm.connectMs} ms, ${i.storm.connectsPerSec} connects/s`,
          ],
          ['CPU ms per connect', idleCpuPerConnect(i.storm.cpuMsPerConnect)],
          ['all disconnected and cleaned up', `${i.disconnectMs} ms`],
          [
            'server per 1000 idle sockets',
            `RSS +${i.per1000.rssMb} MB, heap +${i.per1000.heapUsedMb} MB`,
          ],
          [
            'client process holding them',
            `RSS ${i.clientProcess.rssMb} MB, heap ${i.clientProcess.heapUsedMb} MB`,
          ],
        ]),
      ],
    });
  }
  if (r.sweep) out.push(...sweepSections(r.sweep));
  memoryRows.push(mbRow('end', r.memory.end));
  out.push({
    title: `Memory of the bench process (after full GC; peak RSS ${r.memory.peakRssMb} MB)`,
    tables: [{ header: ['when', 'RSS MB', 'heap used MB', 'external MB'], rows: memoryRows }],
  });
  return out;
}

/** Each server's CPU per connect, their sum and the clients'. */
function idleCpuPerConnect(cpu: IdleSocketsResult['cpuMsPerConnect']): string {
  const server = SERVER_GROUPS.reduce((sum, group) => sum + cpu[group], 0);
  return (
    `chat ${cpu.chat}, RabbitMQ ${cpu.rabbitmq}, PostgreSQL ${cpu.postgres}, Redis ${cpu.redis}` +
    ` = server ${server.toFixed(3)}; clients ${cpu.generator}`
  );
}

/** The sweep's steps as three tables (outcome, latency, CPU) and the overload step. */
function sweepSections(sweep: SweepResult): Section[] {
  const steps = sweep.steps;
  const o = sweep.overload;
  const r = o.recovery;
  return [
    {
      title:
        `Sweep: open loop over ${sweep.pairs} pairs, ${sweep.stepSec} s per rate; a rate holds with ` +
        'nothing lost, ≥ 97 % achieved and p99 < 250 ms (latency from the scheduled send, ms)',
      tables: [
        {
          header: ['offered/s', 'achieved/s', 'sent', 'acked ok', 'refused', 'lost', 'holds'],
          rows: steps.map((s) => [
            s.offered,
            s.achieved,
            s.sent,
            s.ackedOk,
            refusedText(s.refused),
            s.lost,
            s.holds ? 'yes' : `no: ${s.failedOn.join(', ')}`,
          ]),
        },
        {
          header: [
            'offered/s',
            'new-message p50',
            'p95',
            'p99',
            'max',
            'ack p50',
            'p95',
            'p99',
            'max',
            'send lag max',
          ],
          rows: steps.map((s) => [
            s.offered,
            s.endToEndMs.p50,
            s.endToEndMs.p95,
            s.endToEndMs.p99,
            s.endToEndMs.max,
            s.ackMs.p50,
            s.ackMs.p95,
            s.ackMs.p99,
            s.ackMs.max,
            s.sendLagMs.max,
          ]),
        },
        {
          header: [
            'offered/s',
            'CPU ms/msg: chat',
            'RabbitMQ',
            'PostgreSQL',
            'Redis',
            'server',
            'generator',
            'machine busy %',
            'chat RSS MB',
          ],
          rows: steps.map(({ offered, cpuMsPerMessage: c, machineBusyPercent, chatRssMb }) => [
            offered,
            c.chat,
            c.rabbitmq,
            c.postgres,
            c.redis,
            c.server,
            c.generator,
            machineBusyPercent,
            chatRssMb,
          ]),
        },
        keyValues([['highest held rate', `${sweep.highestHeldRate} msg/s`]]),
      ],
    },
    {
      title: `Overload: ${o.offered} msg/s (3 × the highest held rate, at least 750) for ${o.durationMs / 1000} s, then ${r.rate} msg/s`,
      tables: [
        keyValues([
          ['sent / accepted (ack ok)', `${o.sent} / ${o.ackedOk}`],
          ['refused, by code', refusedText(o.refused)],
          ['lost (accepted, never delivered)', o.lost],
          ['refused but delivered all the same', o.deliveredAfterRefusal],
          ['achieved', `${o.achieved}/s`],
          ['every answer and delivery within the wait', o.drained ? 'yes' : 'no'],
          [
            'accepted: new-message p50 / p99 / max',
            `${o.acceptedEndToEndMs.p50} / ${o.acceptedEndToEndMs.p99} / ${o.acceptedEndToEndMs.max} ms`,
          ],
          ['accepted: ack p50 / p99 / max', `${o.ackMs.p50} / ${o.ackMs.p99} / ${o.ackMs.max} ms`],
          ['chat RSS before → peak', `${o.chatRssBeforeMb} → ${o.chatPeakRssMb} MB`],
          [
            `recovery at ${r.rate} msg/s`,
            r.recoveredAfterSec === null
              ? `p99 not under 250 ms within ${r.durationMs / 1000} s`
              : `p99 under 250 ms ${r.recoveredAfterSec} s after the overload ended`,
          ],
          [
            'recovery: sent / accepted, refused, lost',
            `${r.sent} / ${r.ackedOk}, ${refusedText(r.refused)}, ${r.lost}`,
          ],
          ['recovery: p99 of each second (ms)', windowsText(r.windows)],
        ]),
      ],
    },
  ];
}

export function renderText(report: BenchReport): string {
  return sections(report)
    .map(({ title, tables }) => [`\n== ${title}`, ...tables.map(textTable)].join('\n'))
    .join('\n');
}

function textTable({ header, rows }: Table): string {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  // Numbers line up on the right; a measure and its value read left to right.
  const numeric = header.some(Boolean);
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column > 0 && numeric ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  const body = rows.map((row) => line(row.map(String)));
  return numeric ? [line(header), ...body].join('\n') : body.join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const cell = (value: string | number) => String(value).replace(/\|/g, '\\|');
  const table = ({ header, rows }: Table) =>
    [header.some(Boolean) ? header : ['measure', 'value'], header.map(() => '---'), ...rows]
      .map((row) => `| ${row.map(cell).join(' | ')} |`)
      .join('\n');
  const p = report.parameters;
  return [
    `# TutorGo chat benchmark, ${report.startedAt}`,
    '',
    `\`npm run bench${p.quick ? ' -- --quick' : ''}\`: ${p.only.join(', ')}, profile ${p.profile}; ` +
      `ran ${report.durationSec} s. ` +
      'See bench/README.md for what each number means.',
    ...sections(report).flatMap(({ title, tables }) => [
      '',
      `## ${title}`,
      ...tables.flatMap((t) => ['', table(t)]),
    ]),
    '',
  ].join('\n');
}

/** Writes bench/results/<timestamp>.json and .md; returns their paths. */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, report.startedAt.replace(/:/g, '-'));
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, renderMarkdown(report));
  return [`${base}.json`, `${base}.md`];
}
