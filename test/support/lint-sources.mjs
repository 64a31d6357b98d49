// Lints sources given as JSON on stdin (`[{ filePath, code }]`, paths from the repository root)
// with the repository's eslint.config.mjs, and prints each one's messages as JSON. A process of
// its own because ESLint loads its flat config with import(), which Jest's module sandbox refuses.
import { join } from 'node:path';
import process from 'node:process';
import { text } from 'node:stream/consumers';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });
const sources = JSON.parse(await text(process.stdin));
const results = [];
for (const { filePath, code } of sources) {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  results.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
process.stdout.write(JSON.stringify(results));
