#!/usr/bin/env node
/**
 * The layout's rules (docs/architecture.md), checked on the source: which folder may import
 * which, where read-model tables are named, and no casts of event data. `npm run check:layout`
 * prints each broken rule with file and line and exits 1; test/unit/architecture runs it too.
 */
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative, resolve, dirname, sep } = require('node:path');

const READ_MODEL_TABLES = ['claims', 'claim_topics', 'pledge_scopes', 'evidence', 'attachments', 'pledge_scope_keys', 'report_keys', 'external_reports', 'merkle_nodes'];
/** The app's assembly (the files directly in src/: entry points and the modules they wire), the only ones that may import src/ops/. */
const isAssembly = (file) => !file.includes('/');

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, with its line. */
function importsOf(text) {
  const found = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) found.push({ spec: m[1], line: text.slice(0, m.index).split('\n').length });
  }
  return found;
}

/**
 * The rules. `file` and `target` are paths relative to src/ with '/' separators; `target` is
 * null for a package import.
 */
const RULES = [
  {
    name: 'src/domain/ imports nothing outside itself',
    applies: (file) => file.startsWith('domain/'),
    allowed: (target) => target !== null && target.startsWith('domain/'),
  },
  {
    name: 'src/common/ imports nothing of the project but src/domain/',
    applies: (file) => file.startsWith('common/'),
    allowed: (target) => target === null || target.startsWith('common/') || target.startsWith('domain/'),
  },
  {
    name: 'the store in src/ledger/ (all but its HTTP side in ledger/http/ and its Nest module) imports only src/domain/ and src/common/',
    applies: (file) => file.startsWith('ledger/') && !file.startsWith('ledger/http/') && !file.endsWith('.module.ts'),
    allowed: (target) => target === null || /^(ledger|domain|common)\//.test(target),
  },
  {
    name: 'src/verification/ never imports src/jobs/ (jobs call verification, not the reverse)',
    applies: (file) => file.startsWith('verification/'),
    allowed: (target) => target === null || !target.startsWith('jobs/'),
  },
  {
    name: "nothing but the app's assembly imports src/ops/",
    applies: (file) => !file.startsWith('ops/') && !isAssembly(file),
    allowed: (target) => target === null || !target.startsWith('ops/'),
  },
];

const TABLE_SQL = new RegExp(`\\b(?:FROM|INTO|UPDATE|JOIN|TABLE|EXISTS)\\s+(${READ_MODEL_TABLES.join('|')})\\b`, 'g');

function checkLayout(root = resolve(__dirname, '..')) {
  const src = join(root, 'src');
  const problems = [];
  for (const path of sourceFiles(src)) {
    const file = relative(src, path).split(sep).join('/');
    const text = readFileSync(path, 'utf8');
    for (const { spec, line } of importsOf(text)) {
      const target = spec.startsWith('.') ? relative(src, resolve(dirname(path), spec)).split(sep).join('/') : null;
      for (const rule of RULES) {
        if (rule.applies(file) && !rule.allowed(target)) problems.push({ rule: rule.name, file: `src/${file}`, line, detail: `imports '${spec}'` });
      }
    }
    // Table names belong to their read model's folder and to the migrations.
    const ownsTables = /^projections\/[^/]+\//.test(file) || file.startsWith('database/migrations/');
    if (!ownsTables) {
      for (const m of text.matchAll(TABLE_SQL)) {
        const line = text.slice(0, m.index).split('\n').length;
        problems.push({ rule: 'read-model tables are named only in src/projections/<read model>/ and the migrations', file: `src/${file}`, line, detail: m[0] });
      }
    }
    for (const m of text.matchAll(/\.data as\b/g)) {
      const line = text.slice(0, m.index).split('\n').length;
      problems.push({ rule: 'no `.data as` casts: stored events narrow on their type', file: `src/${file}`, line, detail: m[0] });
    }
  }
  return problems;
}

module.exports = { checkLayout, RULES, READ_MODEL_TABLES };

if (require.main === module) {
  const problems = checkLayout(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const p of problems) console.log(`${p.file}:${p.line}  ${p.detail}\n    rule: ${p.rule}`);
  console.log(problems.length ? `${problems.length} layout problem(s)` : 'layout: every rule holds');
  process.exit(problems.length ? 1 : 0);
}
