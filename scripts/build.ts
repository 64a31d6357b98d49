// npm run build: bundles each service's composition root and the migration script into dist/
// (dependencies stay in node_modules), for the Docker image and `node dist/<name>.js`.
import { build } from 'esbuild';

const entryPoints = {
  'socket-edge': 'services/socket-edge/src/main.ts',
  'message-service': 'services/message-service/src/main.ts',
  'history-service': 'services/history-service/src/main.ts',
  migrate: 'scripts/migrate.ts',
  start: 'scripts/start.ts',
};

build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  packages: 'external',
  tsconfig: 'tsconfig.json',
  logLevel: 'info',
}).catch(() => process.exit(1));
