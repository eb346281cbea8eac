import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDbPath } from '../../support/temp';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkLayout } = require('../../../scripts/check-layout.js') as {
  checkLayout(root?: string): Array<{ rule: string; file: string; line: number; detail: string }>;
};

describe('layout rules (scripts/check-layout.js, also `npm run check:layout`)', () => {
  it('hold on this repository: imports run one way, tables stay with their read model, no event-data casts', () => {
    expect(checkLayout()).toEqual([]);
  });

  describe('catch each kind of breach in a tree that has one', () => {
    const root = tempDbPath('claim-ledger-layout-');
    const write = (path: string, text: string) => {
      mkdirSync(join(root.dir, 'src', path, '..'), { recursive: true });
      writeFileSync(join(root.dir, 'src', path), text);
    };
    beforeAll(() => {
      write('domain/events.ts', "import { Logger } from '@nestjs/common';\nimport { x } from '../ledger/event-store';\n");
      write('common/http/problem.ts', "import type { Principal } from '../../auth/roles';\nimport { y } from '../../domain/types';\n");
      write('ledger/event-store.ts', "import { q } from '../jobs/job-plan';\nimport { ok } from '../common/http/problem';\n");
      write('ledger/http/events.controller.ts', "import { ReadAccess } from '../../auth/roles';\n");
      write('verification/attach.ts', "export { QueueNames } from '../jobs/job-plan';\n");
      write('claims/claims.controller.ts', "import { ApiAccess } from '../ops/openapi/decorators';\nconst sql = 'SELECT id FROM claims WHERE x';\nconst k = e.data as { a: string };\n");
      write('projections/claims-list/queries.ts', "const sql = 'SELECT id FROM claims';\n");
      write('app.factory.ts', "import { OpsModule } from './ops/ops.module';\n");
    });
    afterAll(() => root.cleanup());

    it('names file, line and rule of every breach, and nothing else', () => {
      const found = checkLayout(root.dir).map((p) => `${p.file}:${p.line} ${p.detail}`);
      expect(found.sort()).toEqual(
        [
          "src/domain/events.ts:1 imports '@nestjs/common'",
          "src/domain/events.ts:2 imports '../ledger/event-store'",
          "src/common/http/problem.ts:1 imports '../../auth/roles'",
          "src/ledger/event-store.ts:1 imports '../jobs/job-plan'",
          "src/verification/attach.ts:1 imports '../jobs/job-plan'",
          "src/claims/claims.controller.ts:1 imports '../ops/openapi/decorators'",
          'src/claims/claims.controller.ts:2 FROM claims',
          'src/claims/claims.controller.ts:3 .data as',
        ].sort(),
      );
    });
  });
});
