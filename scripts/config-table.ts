// npm run config:table            prints the configuration table
// npm run config:table -- --write  puts it into README.md between the config-table markers
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigTable, replaceConfigTable } from './config-docs';

if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', replaceConfigTable(readme, renderConfigTable()));
} else {
  console.log(renderConfigTable());
}
