// npm run asyncapi             prints the AsyncAPI document of our RabbitMQ messages
// npm run asyncapi -- --write  writes it to docs/asyncapi.json (a unit test fails while that
//                              file differs from what the contracts generate)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { buildAsyncApiDocument } from '@chat/broker';

const target = join(__dirname, '..', 'docs', 'asyncapi.json');

async function main(): Promise<void> {
  // Formatted as `prettier --check` (npm run lint) wants it.
  const text = await format(JSON.stringify(buildAsyncApiDocument()), {
    ...(await resolveConfig(target)),
    filepath: target,
  });
  if (process.argv.includes('--write')) {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  } else {
    process.stdout.write(text);
  }
}

main().catch((error: unknown) => {
  console.error(`asyncapi: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
