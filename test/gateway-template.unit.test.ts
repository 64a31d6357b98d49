import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clusterGatewayValues,
  nginxMainConfig,
  readGatewayTemplate,
  renderGatewayTemplate,
} from '../scripts/cluster/gateway-config';
import { NGINX_BINARY } from '../scripts/cluster/gateway-process';

const template = readGatewayTemplate();
const placeholders = [...new Set(template.match(/\$\{GATEWAY_[A-Z_]+\}/g))].map((found) =>
  found.slice(2, -1),
);
const withNginx = existsSync(NGINX_BINARY) ? it : it.skip;

describe('the gateway template (deploy/nginx.conf.template)', () => {
  it('when docker-compose.yml is read, then its gateway mounts the template and sets every placeholder', () => {
    const compose = readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8');
    const gateway = compose.slice(compose.indexOf('\n  gateway:'));
    expect(gateway).toContain(
      './deploy/nginx.conf.template:/etc/nginx/templates/default.conf.template:ro',
    );
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) expect(gateway).toMatch(new RegExp(`^ {6}${name}: '`, 'm'));
  });

  it('when a placeholder has no value, then rendering fails naming it', () => {
    expect(() => renderGatewayTemplate(template, { GATEWAY_LISTEN: '80' })).toThrow(
      /GATEWAY_RESOLVER/,
    );
  });

  withNginx(
    "when rendered for npm run start:cluster, then Debian's nginx accepts it, with sticky edges and IPv6 loopback",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'gateway-template-'));
      try {
        const values = clusterGatewayValues({
          host: '::1',
          port: 3006,
          edgePorts: [3012, 3013],
          historyPorts: [3014],
        });
        const rendered = renderGatewayTemplate(template, values);
        expect(rendered).not.toMatch(/\$\{GATEWAY_/);
        expect(rendered).toMatch(
          /upstream socket_edges \{\s+hash \$remote_addr consistent;[^}]*server \[::1\]:3012; server \[::1\]:3013;/,
        );
        writeFileSync(join(dir, 'gateway.conf'), rendered);
        writeFileSync(join(dir, 'nginx.conf'), nginxMainConfig(dir, join(dir, 'gateway.conf')));
        const check = spawnSync(
          NGINX_BINARY,
          ['-t', '-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf')],
          { encoding: 'utf8' },
        );
        expect(check.stderr).toMatch(/syntax is ok/);
        expect(check.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
