import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_JWT_SECRET } from '@chat/config';

const composeFile = join(__dirname, '..', 'docker-compose.yml');
const compose = readFileSync(composeFile, 'utf8');

/** Like .ci/run, the checks that need docker-compose are skipped where it is not installed. */
const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const withDockerCompose = hasDockerCompose ? it : it.skip;

/** `docker-compose config` with `env` only (and an empty env file, so no local .env counts). */
function composeConfig(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  try {
    const envFile = join(dir, 'empty.env');
    writeFileSync(envFile, '');
    return spawnSync('docker-compose', ['--env-file', envFile, '-f', composeFile, 'config'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('docker-compose.yml', () => {
  it('when read, then JWT_SECRET is required (no default, a message naming it) and the development secret appears nowhere', () => {
    expect(compose).toMatch(/^ {2}JWT_SECRET: \$\{JWT_SECRET:\?[^}]*JWT_SECRET[^}]*\}$/m);
    expect(compose).not.toMatch(/JWT_SECRET:-/);
    expect(compose).not.toContain(DEV_JWT_SECRET);
  });

  it('when read, then NODE_ENV defaults to production', () => {
    expect(compose).toMatch(/^ {2}NODE_ENV: \$\{NODE_ENV:-production\}$/m);
  });

  withDockerCompose(
    'when JWT_SECRET is unset, then docker-compose config fails naming JWT_SECRET',
    () => {
      const result = composeConfig({});

      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/JWT_SECRET/);
    },
  );

  withDockerCompose(
    'when JWT_SECRET is set, then the file is valid and the services get it with NODE_ENV=production',
    () => {
      const result = composeConfig({ JWT_SECRET: 'ci-only-compose-check-secret' });

      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/JWT_SECRET: ci-only-compose-check-secret/);
      expect(result.stdout).toMatch(/NODE_ENV: production/);
    },
  );
});
