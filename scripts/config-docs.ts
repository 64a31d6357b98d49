import { describeConfig, sharedEnv, type ConfigSpec } from '@chat/config';
import { historyServiceEnv } from '../services/history-service/src/config';
import { messageServiceEnv } from '../services/message-service/src/config';
import { socketEdgeEnv } from '../services/socket-edge/src/config';
import { clusterEnv } from './cluster/cluster-plan';

const services: Record<string, ConfigSpec> = {
  'socket-edge': socketEdgeEnv,
  'message-service': messageServiceEnv,
  'history-service': historyServiceEnv,
  // The one-process mode reads its shared port itself (scripts/start.ts).
  'npm start': {
    chatServicePort: sharedEnv.chatServicePort,
    chatServiceHost: sharedEnv.chatServiceHost,
  },
  // npm run start:cluster's own; its children read the services' schemas above.
  'npm run start:cluster': {
    chatServicePort: sharedEnv.chatServicePort,
    chatServiceHost: sharedEnv.chatServiceHost,
    firstPort: clusterEnv.firstPort,
  },
};

export interface ConfigRow {
  env: string;
  default: string | undefined;
  description: string;
  services: string[];
}

/** Every variable any service reads, once, with the services that read it. */
export function configRows(): ConfigRow[] {
  const rows = new Map<string, ConfigRow>();
  for (const [service, spec] of Object.entries(services)) {
    for (const row of describeConfig(spec)) {
      const existing = rows.get(row.env);
      if (existing) existing.services.push(service);
      else rows.set(row.env, { ...row, services: [service] });
    }
  }
  return [...rows.values()];
}

export function renderConfigTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    '| Variable | Default | Used by | Meaning |',
    '| --- | --- | --- | --- |',
    ...configRows().map((row) => {
      const fallback =
        row.default === undefined ? '—' : row.default === '' ? '""' : `\`${row.default}\``;
      const usedBy = row.services.length === 3 ? 'all' : row.services.join(', ');
      return `| \`${row.env}\` | ${escape(fallback)} | ${usedBy} | ${escape(row.description)} |`;
    }),
  ];
  return lines.join('\n');
}

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

/** The table currently between the README's markers. */
export function readConfigTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md has no config-table markers');
  return readme.slice(start + START.length, end).trim();
}

export function replaceConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md has no config-table markers');
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}
