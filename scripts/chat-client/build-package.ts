import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateDtsBundle } from 'dts-bundle-generator';
import { build, type BuildOptions } from 'esbuild';
import { BROWSER_BUNDLE, buildBrowserBundle, chatClientBuildOptions } from './build-browser-bundle';

const root = join(__dirname, '..', '..');
const entry = join(root, 'libs/chat-client/src/index.ts');

export interface ChatClientBuild {
  /** The files written, relative to the output folder. */
  files: string[];
}

/**
 * Builds the publishable @tutorgo/chat-client into `outdir`: ESM (index.mjs) and CommonJS
 * (index.cjs) for bundlers and Node with socket.io-client left to the installer (a peer
 * dependency), one bundled declaration file (index.d.mts / index.d.cts, the same text), and
 * chat-client.browser.js, an ES module with socket.io-client inside for a plain
 * `<script type="module">`. The repository's @chat/* paths are resolved at build time; the
 * declarations are checked to mention neither them nor zod.
 */
export async function buildChatClient(
  outdir: string,
  logLevel: BuildOptions['logLevel'] = 'warning',
): Promise<ChatClientBuild> {
  await mkdir(outdir, { recursive: true });
  const common: BuildOptions = { ...chatClientBuildOptions, logLevel };
  await Promise.all([
    build({
      ...common,
      platform: 'neutral',
      format: 'esm',
      external: ['socket.io-client'],
      outfile: join(outdir, 'index.mjs'),
    }),
    build({
      ...common,
      platform: 'node',
      format: 'cjs',
      external: ['socket.io-client'],
      outfile: join(outdir, 'index.cjs'),
    }),
    buildBrowserBundle(outdir, logLevel),
  ]);

  const [declarations] = generateDtsBundle(
    [{ filePath: entry, output: { noBanner: true, exportReferencedTypes: false } }],
    { preferredConfigPath: join(root, 'libs/chat-client/tsconfig.json') },
  );
  const leaked = /from ['"](@chat\/[^'"]+|zod)['"]/.exec(declarations ?? '');
  if (!declarations || leaked) {
    throw new Error(
      `the bundled declarations must stand alone, but they import ${leaked?.[1] ?? 'nothing at all'}`,
    );
  }
  await writeFile(join(outdir, 'index.d.mts'), declarations);
  await writeFile(join(outdir, 'index.d.cts'), declarations);
  return {
    files: ['index.mjs', 'index.cjs', BROWSER_BUNDLE, 'index.d.mts', 'index.d.cts'],
  };
}
