import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigTable, renderConfigTable } from '../scripts/config-docs';

describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

  it('when a service reads a variable, then the configuration table lists it as the code defines it', () => {
    // Regenerate with `npm run config:table -- --write` after changing a service's config.
    // Compared cell by cell: Prettier pads the columns of the committed table.
    const cells = (table: string) =>
      table.split('\n').map((line) =>
        line
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim().replace(/^-+$/, '---'))
          .join('|'),
      );
    expect(cells(readConfigTable(readme))).toEqual(cells(renderConfigTable()));
  });

  it('when the README names npm scripts, then package.json has them', () => {
    const scripts = Object.keys(
      (
        JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
          scripts: object;
        }
      ).scripts,
    );
    const named = [...readme.matchAll(/npm run (?:-s )?([a-z0-9:-]+)/g)].map((match) => match[1]);
    for (const script of new Set(named)) expect(scripts).toContain(script);
  });
});
