import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@chat/config';
import type { Logger } from '@chat/observability';
import { spawnChild, type Child } from './child-process';
import {
  clusterGatewayValues,
  nginxMainConfig,
  readGatewayTemplate,
  renderGatewayTemplate,
} from './gateway-config';

/** Debian's nginx (apt-get install -y nginx); .ci/run installs it where it is missing. */
export const NGINX_BINARY = '/usr/sbin/nginx';

export interface GatewayProcess extends Child {
  /** Removes its temporary directory (config, pid, temp files); call once it has exited. */
  removeFiles(): void;
}

/**
 * nginx in the foreground as our child, with the gateway template rendered for the edges' and
 * history-service's loopback ports. Everything it writes is under a temporary directory of its
 * own: nothing under /etc, /var or /run, so it runs as any user.
 */
export function startGatewayProcess(options: {
  host: string;
  port: number;
  edgePorts: number[];
  historyPorts: number[];
  cwd: string;
  logger: Logger;
}): GatewayProcess {
  if (!existsSync(NGINX_BINARY)) {
    throw new ConfigError([
      {
        env: 'nginx',
        message: `is not installed (${NGINX_BINARY}); on Debian or Ubuntu: apt-get install -y nginx`,
      },
    ]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tutorgo-gateway-'));
  // Run as root, nginx's workers switch to an unprivileged user that must reach the temp dirs.
  chmodSync(dir, 0o755);
  const gatewayFile = join(dir, 'gateway.conf');
  writeFileSync(
    gatewayFile,
    renderGatewayTemplate(readGatewayTemplate(), clusterGatewayValues(options)),
  );
  const mainFile = join(dir, 'nginx.conf');
  writeFileSync(mainFile, nginxMainConfig(dir, gatewayFile));
  const child = spawnChild({
    name: 'gateway',
    command: NGINX_BINARY,
    args: ['-p', dir, '-e', 'stderr', '-c', mainFile, '-g', 'daemon off;'],
    env: process.env,
    cwd: options.cwd,
    logger: options.logger,
  });
  return { ...child, removeFiles: () => rmSync(dir, { recursive: true, force: true }) };
}
