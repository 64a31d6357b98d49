import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** The gateway's http-context config, shared with docker compose (which fills it by envsubst). */
export const GATEWAY_TEMPLATE_PATH = join(__dirname, '..', '..', 'deploy', 'nginx.conf.template');

/** The template's placeholders: `${GATEWAY_…}`, as the nginx image's envsubst reads them. */
const PLACEHOLDER = /\$\{(GATEWAY_[A-Z_]+)\}/g;

/**
 * The template with every `${GATEWAY_…}` replaced by its value; a placeholder without a value is
 * an error (envsubst would leave it and nginx would fail on it later, less clearly).
 */
export function renderGatewayTemplate(template: string, values: Record<string, string>): string {
  const missing = new Set<string>();
  const rendered = template.replace(PLACEHOLDER, (placeholder, name: string) => {
    if (!Object.hasOwn(values, name)) missing.add(name);
    return values[name] ?? placeholder;
  });
  if (missing.size > 0) {
    throw new Error(`the gateway template needs ${[...missing].join(', ')}`);
  }
  return rendered;
}

/** host:port as nginx's listen and server directives take it (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The values npm run start:cluster gives the template: fixed loopback upstreams, no resolver. */
export function clusterGatewayValues(options: {
  host: string;
  port: number;
  edgePorts: number[];
  historyPorts: number[];
}): Record<string, string> {
  const servers = (ports: number[]) =>
    ports.map((port) => `server ${hostPort(options.host, port)};`).join(' ');
  return {
    GATEWAY_LISTEN: hostPort(options.host, options.port),
    GATEWAY_RESOLVER: '# no resolver: the upstreams are fixed addresses',
    GATEWAY_SOCKET_EDGES: servers(options.edgePorts),
    GATEWAY_HISTORY_SERVICES: servers(options.historyPorts),
  };
}

/**
 * A whole nginx configuration around the rendered gateway file, for nginx run by an ordinary
 * process: everything (pid, temp files) under `dir`, errors to stderr, no access log (the
 * services log their requests), one worker (the services need the cores more).
 */
export function nginxMainConfig(dir: string, gatewayFile: string): string {
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  return [
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 8192; }',
    'http {',
    '    access_log off;',
    `    ${temp('client_body')}`,
    `    ${temp('proxy')}`,
    `    ${temp('fastcgi')}`,
    `    ${temp('uwsgi')}`,
    `    ${temp('scgi')}`,
    `    include ${gatewayFile};`,
    '}',
    '',
  ].join('\n');
}

export function readGatewayTemplate(): string {
  return readFileSync(GATEWAY_TEMPLATE_PATH, 'utf8');
}
