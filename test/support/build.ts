import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
let checked: string | null = null;

/**
 * Tests that run `dist/` (child processes of the real service) must run the code under test:
 * they fail, not warn, when an entry point is missing or any source file is newer than it.
 * `npm test` builds first; alone, run `npm run build`.
 */
export function assertFreshBuild(...entries: string[]): void {
  for (const entry of entries.length ? entries : ['main.js']) {
    const file = join(ROOT, 'dist', entry);
    if (!existsSync(file)) throw new Error(`${relative(ROOT, file)} is missing: run \`npm run build\` before these tests`);
    const built = statSync(file).mtimeMs;
    const key = `${entry}@${built}`;
    if (checked === key) continue;
    const newer: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts') && statSync(path).mtimeMs > built + 1000) newer.push(relative(ROOT, path));
      }
    };
    walk(join(ROOT, 'src'));
    if (newer.length > 0) {
      throw new Error(`${relative(ROOT, file)} is older than ${newer.length} source file(s) (${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', …' : ''}): run \`npm run build\` so these tests run the current code`);
    }
    checked = key;
  }
}
