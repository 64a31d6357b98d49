import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The boundary rules of eslint.config.mjs (STYLE.md 15), fed imports they must refuse and
// imports they must let through, from files in each kind of folder, through ESLint's Node API
// (in a child process: see test/support/lint-sources.mjs).

interface Source {
  /** Where the code claims to live, from the repository root. */
  filePath: string;
  code: string;
}

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const run = promisify(execFile);

async function lintSources(sources: Source[]): Promise<LintMessage[][]> {
  const child = run(process.execPath, [join(__dirname, 'support', 'lint-sources.mjs')], {
    cwd: join(__dirname, '..'),
  });
  child.child.stdin!.end(JSON.stringify(sources));
  const { stdout } = await child;
  return JSON.parse(stdout) as LintMessage[][];
}

const cases = {
  serviceImportsService: {
    filePath: 'services/message-service/test/example.int.test.ts',
    code: "import { conversationRoom } from '../../socket-edge/src/entry-points/socket/rooms';\nconversationRoom('a');\n",
  },
  serviceImportsRootHarness: {
    filePath: 'services/socket-edge/test/example.int.test.ts',
    code: "import { startChatStack } from '../../../test/support/chat-stack';\nvoid startChatStack;\n",
  },
  libImportsService: {
    filePath: 'libs/chat-client/src/example.ts',
    code: "import { startSocketEdge } from '../../../services/socket-edge/src/app';\nvoid startSocketEdge;\n",
  },
  libImportsRootTest: {
    filePath: 'libs/chat-client/test/example.int.test.ts',
    code: "import { startChatSystem } from '../../../test/support/chat-system';\nvoid startChatSystem;\n",
  },
  deepAliasImport: {
    filePath: 'services/history-service/src/example.ts',
    code: "import { createDb } from '@chat/db/src/db';\nvoid createDb;\n",
  },
  deepRelativeImport: {
    filePath: 'scripts/example.ts',
    code: "import { createDb } from '../libs/db/src/db';\nvoid createDb;\n",
  },
  domainImportsEntryPoint: {
    filePath: 'services/socket-edge/src/domain/example.ts',
    code: "import type { ChatSocket } from '../entry-points/socket/chat-socket';\nexport type Example = ChatSocket;\n",
  },
  adapterImportsEntryPoint: {
    filePath: 'services/history-service/src/adapters/example.ts',
    code: "import { createDemoRoutes } from '../entry-points/http/demo-routes';\nvoid createDemoRoutes;\n",
  },
  domainImportsIoLibrary: {
    filePath: 'services/message-service/src/domain/example.ts',
    code: "import type { Knex } from 'knex';\nexport type Example = Knex;\n",
  },
  domainImportsService: {
    filePath: 'services/message-service/src/domain/example.ts',
    code: "import { createTurnBatcher } from '../../../socket-edge/src/domain/turn-batcher';\nvoid createTurnBatcher;\n",
  },
  allowedLayers: {
    filePath: 'services/socket-edge/src/domain/example.ts',
    code: [
      "import type { EntitlementPolicy } from '@chat/db';",
      "import type { Presence } from '../adapters/presence';",
      "import { createTurnBatcher } from './turn-batcher';",
      'export type Example = [EntitlementPolicy, Presence];',
      'export const example = createTurnBatcher;',
      '',
    ].join('\n'),
  },
  allowed: {
    filePath: 'services/message-service/test/example.int.test.ts',
    code: [
      "import { createDb } from '@chat/db';",
      "import { eventually } from '@chat/testing';",
      "import { startMessageService } from '../src/app';",
      "import { startBookingServiceStub } from './support/booking-service-stub';",
      'void [createDb, eventually, startMessageService, startBookingServiceStub];',
      '',
    ].join('\n'),
  },
  systemLevel: {
    filePath: 'test/example.int.test.ts',
    code: [
      "import { startSocketEdge } from '../services/socket-edge/src/app';",
      "import { startHistoryTestServer } from '../services/history-service/test/support/history-server';",
      'void [startSocketEdge, startHistoryTestServer];',
      '',
    ].join('\n'),
  },
} satisfies Record<string, Source>;

type CaseName = keyof typeof cases;

describe('import boundaries (eslint.config.mjs)', () => {
  const reported = {} as Record<CaseName, LintMessage[]>;

  beforeAll(async () => {
    const names = Object.keys(cases) as CaseName[];
    const results = await lintSources(names.map((name) => cases[name]));
    names.forEach((name, index) => {
      reported[name] = results[index]!;
    });
  }, 60_000);

  it.each([
    [
      'a service imports another service',
      'serviceImportsService',
      "message-service may not import another service's files",
    ],
    [
      'a service imports the root test harness',
      'serviceImportsRootHarness',
      'The root test/support harness starts several services',
    ],
    ['a lib imports a service', 'libImportsService', 'A lib never imports a service'],
    ['a lib imports the root test/', 'libImportsRootTest', 'A lib never imports the root test/'],
    [
      "a service reaches into a lib's src/ by its alias",
      'deepAliasImport',
      "Import a lib through its entry, '@chat/<lib>'",
    ],
    [
      "a script reaches into a lib's src/ by a path",
      'deepRelativeImport',
      "Import a lib through its entry, '@chat/<lib>'",
    ],
    [
      'a domain file imports an entry point',
      'domainImportsEntryPoint',
      'domain/ and adapters/ never import entry-points/',
    ],
    [
      'an adapter imports an entry point',
      'adapterImportsEntryPoint',
      'domain/ and adapters/ never import entry-points/',
    ],
    [
      'a domain file imports an I/O library',
      'domainImportsIoLibrary',
      'domain/ imports no I/O library',
    ],
    [
      "a domain file imports another service's files",
      'domainImportsService',
      "message-service may not import another service's files",
    ],
  ] as const)('when %s, then lint refuses it with its reason', (_, name, reason) => {
    expect(reported[name]).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining(reason) },
    ]);
  });

  it('when a service imports libs and its own files, then lint lets it', () => {
    expect(reported.allowed).toEqual([]);
  });

  it('when a domain file imports libs, adapters and its own folder, then lint lets it', () => {
    expect(reported.allowedLayers).toEqual([]);
  });

  it("when a system test imports services' files, then lint lets it", () => {
    expect(reported.systemLevel).toEqual([]);
  });
});
