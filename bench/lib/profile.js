'use strict';
/**
 * Reads a V8 .cpuprofile and says where the CPU went, by area of the service: each sample is
 * charged to the innermost frame that belongs to a known area (Node's own internals count for
 * whatever called them), so the areas add up to 100% of the profiled window. Idle time and the
 * profiler's own work are not counted in the CPU per request.
 */
const fs = require('node:fs');

/** Areas, most specific first: the first rule a frame's script URL matches names its area. */
const AREAS = [
  ['the profiler itself (not counted as busy)', /^node:inspector|profiler-preload\.js$/],
  ['validation (class-validator, class-transformer, DTO pipe)', /node_modules\/class-(validator|transformer)\/|\/dist\/common\/http\/(validation|compiled-validation)\.js|\/dist\/.*dto\.js$|node_modules\/@nestjs\/common\/pipes\//],
  ['ledger: event store, hashing, canonical JSON', /\/dist\/ledger\//],
  ['sqlite3 driver (statements, row objects)', /node_modules\/sqlite3\//],
  ['read models (inline projector)', /\/dist\/projections\//],
  ['job hand-over (dispatcher, BullMQ, ioredis)', /\/dist\/jobs\/|node_modules\/(bullmq|ioredis|msgpackr|@ioredis)\//],
  ['TypeORM (reads)', /node_modules\/typeorm\//],
  ['auth, idempotency, rate limit', /\/dist\/auth\/|\/dist\/common\/idempotency/],
  ['logs, metrics, request context', /\/dist\/ops\/|node_modules\/(pino|prom-client|pino-std-serializers|sonic-boom)\//],
  ['our controllers and services', /\/dist\//],
  ['Nest (router, guards, pipes, RxJS)', /node_modules\/(@nestjs|rxjs)\//],
  ['Fastify', /node_modules\/(fastify|@fastify|find-my-way|light-my-request|avvio|secure-json-parse|fast-json-stringify|fast-querystring)\//],
  ['Node HTTP and sockets', /^node:(_http|net|internal\/stream|internal\/http|stream|internal\/streams)/],
];
const SPECIAL = new Map([
  ['(garbage collector)', 'garbage collection'],
  ['(idle)', 'idle (waiting: for the database, the network, or the load)'],
  ['(program)', 'V8/native, unattributed'],
]);
const IDLE = SPECIAL.get('(idle)');
const PROFILER = 'the profiler itself (not counted as busy)';
const notBusy = (area) => area === IDLE || area === PROFILER;

function summarizeProfile(file, { requests = null } = {}) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const areaOf = new Map();
  const area = (id) => {
    if (areaOf.has(id)) return areaOf.get(id);
    const n = byId.get(id);
    const name = n.callFrame.functionName;
    let a = SPECIAL.get(name);
    if (!a) {
      const rule = AREAS.find(([, re]) => re.test(n.callFrame.url));
      a = rule ? rule[0] : parent.has(id) ? area(parent.get(id)) : 'other (Node internals)';
    }
    areaOf.set(id, a);
    return a;
  };
  const totals = new Map();
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] || 0;
    totalUs += dt;
    const a = area(p.samples[i]);
    totals.set(a, (totals.get(a) || 0) + dt);
  }
  const busyUs = totalUs - (totals.get(IDLE) || 0) - (totals.get(PROFILER) || 0);
  const areas = [...totals]
    .sort((x, y) => y[1] - x[1])
    .map(([name, us]) => ({
      area: name,
      percent: +((100 * us) / totalUs).toFixed(1),
      ...(requests ? { cpuMicrosecondsPerRequest: notBusy(name) ? null : +(us / requests).toFixed(1) } : {}),
    }));
  return { windowMs: Math.round(totalUs / 1000), busyPercent: +((100 * busyUs) / totalUs).toFixed(1), requests, cpuMicrosecondsPerRequest: requests ? +(busyUs / requests).toFixed(1) : null, areas };
}

module.exports = { summarizeProfile };
