import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const root = join(__dirname, '..', '..');

/** libs/chat-client's entry and the options every build of it shares. */
export const chatClientBuildOptions: BuildOptions = {
  entryPoints: [join(root, 'libs/chat-client/src/index.ts')],
  bundle: true,
  tsconfig: join(root, 'tsconfig.json'),
  target: 'es2020',
  sourcemap: true,
};

export const BROWSER_BUNDLE = 'chat-client.browser.js';

/**
 * `outdir`/chat-client.browser.js: an ES module with socket.io-client inside, for a plain
 * `<script type="module">` (the demo page loads it). Returns its path.
 */
export async function buildBrowserBundle(
  outdir: string,
  logLevel: BuildOptions['logLevel'] = 'warning',
): Promise<string> {
  const outfile = join(outdir, BROWSER_BUNDLE);
  await build({
    ...chatClientBuildOptions,
    logLevel,
    platform: 'browser',
    format: 'esm',
    minify: true,
    outfile,
  });
  return outfile;
}
