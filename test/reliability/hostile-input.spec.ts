import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { LedgerReader } from '../../src/ledger/ledger-reader';
import { TEST_ADMIN_KEY, bootApp, crimeaClaimBody, evidenceBody, pledgeBody, reportBody, type TestApp } from '../support/app';
import { settle } from '../support/http';
import { recordAnswer, seen } from './support/client';
import { count, note, writeSummary } from './support/summary';

/**
 * Hostile input, fuzzed with fast-check against the app in this process (Fastify's inject: the
 * whole request pipeline, no sockets). Every write route gets malformed JSON, wrong types, huge and
 * deeply nested bodies, unicode edge cases, impossible dates, out-of-range coordinates, bad UUIDs,
 * abusive headers and prototype-pollution keys. Whatever comes in: never a 5xx; every 4xx is
 * problem+json; a refused request leaves the ledger's head hash and event count as they were.
 * FUZZ_SEED=<n> replays a run; FUZZ_RUNS scales the number of cases.
 */

jest.setTimeout(180_000);

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const SCALE = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) / 100 : 1;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

let t: TestApp;
let fastify: FastifyInstance;
let reader: LedgerReader;
let claimId: string;
let pledgeId: string;
const evidenceIds: string[] = [];
const keyIds: string[] = [];
const statuses = new Map<number, number>();
let cases = 0;
const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Raw body text/bytes (already serialised: it may be malformed on purpose). */
  payload?: string | Buffer;
}

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

async function send(c: Case): Promise<Answer> {
  const res = await fastify.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.payload });
  recordAnswer(c.method, c.url, res.statusCode, res.body);
  return { status: res.statusCode, headers: res.headers as Record<string, unknown>, text: res.body };
}

async function head(): Promise<{ position: number; hash: string | null }> {
  await settle(t);
  return reader.head();
}

/** The property every case must satisfy. */
async function check(c: Case): Promise<void> {
  const before = await head();
  const res = await send(c);
  cases++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const what = `${c.method} ${c.url.slice(0, 120)} (body ${String(c.payload ?? '').slice(0, 200)}) → ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${what}`);
  if (res.status >= 400) {
    if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) throw new Error(`not problem+json: ${what}`);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    if (body.status !== res.status || typeof body.title !== 'string' || typeof body.detail !== 'string' || typeof body.type !== 'string') {
      throw new Error(`malformed problem: ${what}`);
    }
    if (body.errors !== undefined) {
      const ok = Array.isArray(body.errors) && body.errors.every((e: { field?: unknown; message?: unknown }) => typeof e.field === 'string' && typeof e.message === 'string');
      if (!ok) throw new Error(`malformed errors[]: ${what}`);
    }
    const after = await head();
    if (after.position !== before.position || after.hash !== before.hash) throw new Error(`a refused request moved the ledger (${JSON.stringify(before)} → ${JSON.stringify(after)}): ${what}`);
  }
  // Nothing reached Object.prototype.
  const proto = Object.getOwnPropertyNames(Object.prototype).sort();
  if (JSON.stringify(proto) !== JSON.stringify(protoBefore) || ({} as Record<string, unknown>).polluted !== undefined) {
    throw new Error(`Object.prototype changed: ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const RAW = new Map<string, string>();
/** A value that is serialised as raw JSON text (numbers JSON.stringify cannot write). */
const raw = (text: string): string => {
  const token = `RAW${RAW.size}RAW`;
  RAW.set(token, text);
  return token;
};

const LONE = ['\ud800', '\udfff', 'a\udc00b', '\ud83d'];
const tricky = fc.constantFrom(
  '',
  ' ',
  '\t\n',
  '\u0000',
  'nul\u0000inside',
  '\u202eevil\u202c',
  '\u200f\u05e9\u05dc\u05d5\u05dd',
  '\ufeffbom',
  '\u0007bell',
  '𝕏'.repeat(40),
  'e\u0301\u0301\u0301',
  ...LONE,
  '__proto__',
  'constructor',
  'prototype',
  "'; DROP TABLE events; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00%2e%2e',
  '{"nested":"json"}',
  'x'.repeat(5001),
  '\u00e9'.repeat(5001),
  'javascript:alert(1)',
  'ftp://example.org/file',
  'http://',
  'https://exa mple.org/',
);
const hostileString = fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary-ascii', minLength: 4990, maxLength: 5010 }));
const hostileNumber = fc.oneof(
  fc.constantFrom(raw('1e999'), raw('-1e999'), raw('1e-999'), raw('-0'), raw('123456789012345678901234567890'), 91, -91, 181, -181, 20038, 0, -1, 7, 2.5, 1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.double(),
  fc.integer(),
  fc.constantFrom('50.45', 'NaN', 'Infinity', '1e999', '0x10'),
);
const hostileDate = fc.constantFrom(
  '2022-02-30T00:00:00Z',
  '2023-02-29T12:00:00Z',
  '2022-13-01T00:00:00Z',
  '2022-00-10T00:00:00Z',
  '2022-03-29T24:00:00Z',
  '2022-03-29T23:60:00Z',
  '2022-03-29T23:59:60Z',
  '2022-03-29',
  '2022-03-29T14:00:00',
  '2022-03-29T14:00:00+24:00',
  '2022-03-29T14:00:00+03:60',
  '+275760-09-13T00:00:00Z',
  '275761-01-01T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '2099-01-01T00:00:00Z',
  '2022-03-29T14:00:00.1234567891Z',
  '29/03/2022',
  'now',
  'yesterday',
  '',
  '2022-03-29T14:00:00Z\u0000',
);
const hostileUuid = fc.oneof(
  fc.constantFrom(
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    '00000000-0000-4000-8000-00000000abcd',
    'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
    '%20',
    '..%2F..%2Fhealth',
    "1'%20OR%20'1'='1",
    'x'.repeat(3000),
    '%F0%9D%95%8F',
    '%00',
    '%ED%A0%80',
    '__proto__',
    'constructor',
  ),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `${u}x`),
  fc.stringMatching(/^[0-9a-f-]{1,40}$/),
);
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, [null], { '': '' }, [[[[]]]]),
  fc.dictionary(hostileString, fc.oneof(hostileString, hostileNumber, fc.constant(null)), { maxKeys: 4 }),
  fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }),
);

type Body = Record<string, unknown>;
type Mutation = (b: Body) => unknown;

/** Paths into a body (the fields a DTO knows, nested ones included). */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const own = Object.entries(v as Body).flatMap(([k, x]) => paths(x, [...prefix, k]));
  return prefix.length ? [prefix, ...own] : own;
}

function setAt(b: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: Body = Array.isArray(b) ? ([...b] as unknown as Body) : { ...((b as Body) ?? {}) };
  Object.defineProperty(copy, path[0], { value: setAt(copy[path[0]], path.slice(1), value), enumerable: true, writable: true, configurable: true });
  return copy;
}

function deleteAt(b: unknown, path: string[]): unknown {
  if (path.length === 0 || b === null || typeof b !== 'object') return b;
  const copy: Body = Array.isArray(b) ? ([...b] as unknown as Body) : { ...(b as Body) };
  if (path.length === 1) delete copy[path[0]];
  else copy[path[0]] = deleteAt(copy[path[0]], path.slice(1));
  return copy;
}

const deep = (depth: number, leaf: unknown): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

/** One to three changes to a valid body. */
function mutations(valid: Body): fc.Arbitrary<Mutation[]> {
  const found = paths(valid);
  const ps = found.length > 0 ? found : [['reason'], ['name']];
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    fc.tuple(fc.constantFrom(...ps), fc.oneof(hostileString, hostileNumber, hostileDate, anyJson)).map(([p, v]) => (b: Body) => setAt(b, p, v)),
    fc.tuple(fc.constantFrom(...ps), hostileDate).map(([p, v]) => (b: Body) => setAt(b, p, v)),
    fc.constantFrom(...ps).map((p) => (b: Body) => deleteAt(b, p)),
    fc.tuple(fc.constantFrom(...ps), hostileString, anyJson).map(([p, k, v]) => (b: Body) => setAt(b, [...p.slice(0, -1), k], v)),
    fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => (b: Body) => setAt(b, [k], { polluted: 'yes', prototype: { polluted: 'yes' } })),
    fc.integer({ min: 60, max: 3000 }).map((n) => (b: Body) => setAt(b, ['topics'], deep(n, 'x'))),
    fc.integer({ min: 101, max: 2000 }).map((n) => (b: Body) => setAt(b, ['indicators'], Array.from({ length: n }, (_, i) => `i${i}`))),
    fc.constant((b: Body) => [b]),
    fc.constant(() => null),
    fc.constant((b: Body) => ({ ...b, extra: 'unknown field' })),
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

/** Serialises a body, turning the raw-number tokens into raw JSON text. */
function serialise(body: unknown): string {
  let text = JSON.stringify(body) ?? 'null';
  for (const [token, rawText] of RAW) text = text.split(`"${token}"`).join(rawText);
  return text;
}

const malformedPayload = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '}',
    '{"kind": "claim",}',
    "{'kind': 'claim'}",
    '{"kind": "claim"',
    'null',
    'true',
    '[]',
    '"a string"',
    '1e999',
    'NaN',
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": 0x10}',
    '{"a": 01}',
    '{"a": "\\ud800"}',
    '{"a": "\\u0000"}',
    '{"a": "unterminated}',
    '{"__proto__": {"polluted": "yes"}}',
    '{"constructor": {"prototype": {"polluted": "yes"}}}',
    '{"kind":"claim","kind":"pledge"}',
    '\ufeff{"kind": "claim"}',
    '{"a":1}{"b":2}',
    '[' .repeat(5000) + ']'.repeat(5000),
    '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    `{"statement": "${'x'.repeat(200_000)}"}`,
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a).toString('latin1')),
);

const idempotencyKey = fc.oneof(
  fc.constantFrom('', ' ', 'key with spaces', 'ключ', 'k\u00ff', 'x'.repeat(256), 'x'.repeat(5000), '\tkey', 'key\t'),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 300 }).filter((s) => /^[\x20-\x7e\t]*$/.test(s)),
);
const ifMatch = fc.oneof(
  fc.constantFrom('', '*', '1', '"one"', '"1', 'W/1', '""', '"-1"', '"1.5"', '"99999999999999999999"', '"1", "2"', 'W/"x"', '"1"'.repeat(200)),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/problem+json',
  '*/*',
  'application/json, text/plain',
);

/** Headers: the admin key, maybe an abusive Idempotency-Key / If-Match / Content-Type. */
/** Present about one time in four: most cases keep the body as the thing under attack. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const headers = fc.record({ idem: sometimes(idempotencyKey), match: sometimes(ifMatch), type: sometimes(contentType) }).map((h) => {
  const out: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': h.type ?? 'application/json' };
  if (h.idem !== undefined) out['idempotency-key'] = h.idem;
  if (h.match !== undefined) out['if-match'] = h.match;
  return out;
});

/** A route's cases: a valid body mutated, or a malformed payload, with hostile headers and ids. */
function routeCases(method: Case['method'], url: fc.Arbitrary<string>, valid: () => Body | null): fc.Arbitrary<Case> {
  const base = valid() ?? {};
  const mutated = mutations(base).map((ms) => serialise(ms.reduce<unknown>((b, m) => m(b as Body), valid() ?? {})));
  return fc.record({ url, headers, payload: fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: malformedPayload }) }).map((c) => ({ method, ...c }));
}

const claimPath = fc.oneof({ weight: 2, arbitrary: fc.constant('CLAIM') }, { weight: 1, arbitrary: hostileUuid }).map((id) => (id === 'CLAIM' ? claimId : id));
const evidencePath = fc.oneof({ weight: 2, arbitrary: fc.constant('EVIDENCE') }, { weight: 1, arbitrary: hostileUuid }).map((id) => (id === 'EVIDENCE' ? evidenceIds[0] : id));
const keyPath = fc.oneof(fc.constant('KEY'), hostileUuid).map((id) => (id === 'KEY' ? keyIds[0] : id));

async function property(name: string, arb: fc.Arbitrary<Case>, numRuns: number): Promise<void> {
  const before = cases;
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      await check(c);
    }),
    {
      numRuns: runs(numRuns),
      seed: SEED,
      endOnFailure: true,
      // The default report prints the whole counterexample (bodies of up to 1 MiB): keep it short.
      reporter: (run) => {
        if (!run.failed) return;
        const example = JSON.stringify(run.counterexample)?.slice(0, 600);
        throw new Error(`${name}: ${(run.errorInstance as Error)?.message ?? String(run.errorInstance)}\n  replay with FUZZ_SEED=${run.seed} (path ${run.counterexamplePath})\n  counterexample (cut): ${example}`);
      },
    },
  );
  note(`${name}: ${cases - before}`);
}

beforeAll(async () => {
  t = await bootApp();
  fastify = t.app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  reader = t.app.get(LedgerReader);
  const post = async (url: string, body: Body) => JSON.parse((await send({ method: 'POST', url, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })).text);
  claimId = (await post('/api/claims', crimeaClaimBody())).id;
  pledgeId = (await post('/api/claims', pledgeBody())).id;
  evidenceIds.push((await post(`/api/claims/${claimId}/evidence`, evidenceBody())).evidenceId);
  keyIds.push((await post('/api/api-keys', { name: 'fuzz target', role: 'viewer' })).id);
  expect(pledgeId).toBeDefined();
});

afterAll(async () => {
  await t?.close();
  count({ fuzzCases: cases });
  note(`statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

describe('hostile input on every write route: never a 5xx, always problem+json, nothing written when refused', () => {
  it('POST /api/claims', () => property('claims', routeCases('POST', fc.constant('/api/claims'), () => pledgeBody()), 70));

  it('POST /api/claims/:id/evidence', () =>
    property('evidence', routeCases('POST', claimPath.map((id) => `/api/claims/${id}/evidence`), () => evidenceBody()), 60));

  it('POST /api/reports', () => property('reports', routeCases('POST', fc.constant('/api/reports'), () => reportBody()), 45));

  it('POST /api/evidence/:id/retract', () =>
    property('retract', routeCases('POST', evidencePath.map((id) => `/api/evidence/${id}/retract`), () => ({ reason: 'withdrawn' })), 35));

  it('POST /api/api-keys', () => property('api-keys', routeCases('POST', fc.constant('/api/api-keys'), () => ({ name: 'fuzzed', role: 'checker' })), 40));

  it('DELETE /api/api-keys/:id', () =>
    property(
      'delete key',
      fc.record({ id: keyPath, headers, payload: fc.option(malformedPayload, { nil: undefined }) }).map((c) => ({ method: 'DELETE' as const, url: `/api/api-keys/${c.id}`, headers: c.headers, payload: c.payload })),
      25,
    ));

  it('POST /api/admin/projections/rebuild', () =>
    property('rebuild', routeCases('POST', fc.constant('/api/admin/projections/rebuild'), () => ({})), 15));

  it('GET /api/events/stream with a hostile Last-Event-ID or ?after= (refused before the stream opens)', () => {
    const badPosition = fc
      .oneof(fc.constantFrom('-1', '1.5', '1e3', 'abc', '0x10', '9'.repeat(16), '１２', '1 2', 'NaN', '" 1"'), fc.string({ unit: 'binary-ascii', maxLength: 20 }))
      .filter((s) => /^[\x20-\x7e]*$/.test(s) && s.trim() !== '' && !/^\d{1,15}$/.test(s.trim()));
    const arb = fc.oneof(
      badPosition.map((v) => ({ method: 'GET' as const, url: '/api/events/stream', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'last-event-id': v } })),
      badPosition.map((v) => ({ method: 'GET' as const, url: `/api/events/stream?after=${encodeURIComponent(v)}`, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })),
    );
    return property('stream', arb, 25);
  });

  it('tried a few hundred cases and the ledger still verifies', async () => {
    expect(cases).toBeGreaterThanOrEqual(runs(300));
    const res = await send({ method: 'GET', url: '/api/ledger/verify', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(JSON.parse(res.text)).toEqual(expect.objectContaining({ ok: true }));
  });
});
