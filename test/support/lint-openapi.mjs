// Lints an OpenAPI document with two maintained checkers and prints what they found as JSON:
// Redocly's "recommended" rules (@redocly/openapi-core) and the OpenAPI JSON Schema of the
// document's version (@seriousme/openapi-schema-validator). Both are ES modules only, which
// Jest's CommonJS runtime cannot load, so test/e2e/ops/openapi.spec.ts runs this as a child process.
// Usage: node test/support/lint-openapi.mjs <document.json>
import { readFileSync } from 'node:fs';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';

const file = process.argv[2];
const source = readFileSync(file, 'utf8');

const schema = await new Validator().validate(JSON.parse(source));

const config = await createConfig({
  extends: ['recommended'],
  rules: {
    // /health, /metrics, / and /api/checkpoint/key take no input: no 4xx of their own to document
    // (a malformed request line or oversized headers get the framework's 400/431, on every route).
    'operation-4xx-response': 'off',
  },
});
const lint = await lintFromString({ source, absoluteRef: file, config });

process.stdout.write(
  JSON.stringify({
    schemaValid: schema.valid,
    schemaErrors: schema.valid ? [] : schema.errors,
    lint: lint.map((p) => ({ severity: p.severity, rule: p.ruleId, message: p.message, at: p.location?.[0]?.pointer })),
  }),
);
