#!/usr/bin/env node
/*
 * npm run import -- --url <base> --key <key> --format acled --dataset <name> [--dataset-url <url>]
 *                   [--reliability B] [--credibility 2] FILE
 *
 * Uploads FILE to POST /api/imports (streamed from disk), then follows GET /api/imports/:id until
 * the import is done: a progress bar (cli-progress: rows, rows/s, ETA) on a terminal, plain lines
 * otherwise. Exits 0 when the import is done, 1 when it failed or could not be followed, 2 on bad
 * arguments. `--key` may come from API_KEY, `--url` from BASE_URL (default http://localhost:3000).
 */
'use strict';

const { createReadStream, statSync } = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const USAGE = 'usage: npm run import -- --url <base> --key <key> --format acled|acled-deletions|ndjson --dataset <name> [--dataset-url <url>] [--reliability A-F] [--credibility 1-6] FILE';

function parseArgs(argv) {
  const opts = { url: process.env.BASE_URL || 'http://localhost:3000', key: process.env.API_KEY || '', format: '', dataset: '', datasetUrl: '', reliability: '', credibility: '', file: '', pollMs: 500 };
  const names = { '--url': 'url', '--key': 'key', '--format': 'format', '--dataset': 'dataset', '--dataset-url': 'datasetUrl', '--reliability': 'reliability', '--credibility': 'credibility', '--poll-ms': 'pollMs' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (names[a]) {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      opts[names[a]] = argv[++i];
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (!opts.file) opts.file = a;
    else throw new Error(`one file at a time (got ${opts.file} and ${a})`);
  }
  if (!opts.file) throw new Error('FILE is missing');
  if (!opts.key) throw new Error('--key (or API_KEY) is missing');
  if (!opts.format) throw new Error('--format is missing');
  if (!opts.dataset) throw new Error('--dataset is missing');
  opts.pollMs = Number(opts.pollMs) || 500;
  return opts;
}

function send(method, url, key, { body, headers = {} } = {}) {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers: { authorization: `Bearer ${key}`, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, json, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

/** Lines in the file (an upper bound on its rows: quoted notes may span lines), for the bar's total. */
function countLines(path) {
  return new Promise((resolve, reject) => {
    let n = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
      })
      .on('end', () => resolve(n))
      .on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const base = o.url.replace(/\/+$/, '');
  const size = statSync(o.file).size;
  const q = new URLSearchParams({ format: o.format, dataset: o.dataset });
  if (o.datasetUrl) q.set('datasetUrl', o.datasetUrl);
  if (o.reliability) q.set('reliability', o.reliability);
  if (o.credibility) q.set('credibility', o.credibility);
  const type = o.format === 'ndjson' ? 'application/x-ndjson' : 'text/csv';
  const started = Date.now();
  const res = await send('POST', `${base}/api/imports?${q}`, o.key, {
    body: createReadStream(o.file),
    headers: { 'content-type': type, 'content-length': String(size) },
  });
  if (res.status !== 202 || !res.json || !res.json.importId) {
    console.error(`upload refused: ${res.status} ${res.text.slice(0, 2000)}`);
    return 1;
  }
  const id = res.json.importId;
  const tty = Boolean(process.stdout.isTTY);
  const lines = await countLines(o.file);
  const total = Math.max(1, o.format === 'ndjson' ? lines : lines - 1);
  console.log(`uploaded ${o.file} (${size} bytes) as import ${id}`);

  let bar = null;
  if (tty) {
    const cliProgress = require('cli-progress');
    bar = new cliProgress.SingleBar(
      { format: 'import {bar} {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {state}', hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0, state: 'queued' });
  }
  let lastPrint = 0;
  let view = null;
  for (let failures = 0; ; ) {
    const r = await send('GET', `${base}/api/imports/${id}`, o.key).catch((err) => ({ status: 0, text: err.message }));
    if (r.status !== 200) {
      if (++failures > 20) {
        if (bar) bar.stop();
        console.error(`cannot follow import ${id}: ${r.status} ${String(r.text).slice(0, 500)}`);
        return 1;
      }
    } else {
      failures = 0;
      view = r.json;
      const rate = Math.round(view.rows / Math.max(0.001, (Date.now() - started) / 1000));
      if (bar) bar.update(Math.min(view.rows, total), { rate, state: view.state });
      else if (Date.now() - lastPrint >= 2000 || view.state === 'done' || view.state === 'failed') {
        lastPrint = Date.now();
        console.log(`import ${id}: ${view.state}, ${view.rows} rows (${view.accepted} accepted, ${view.revised} revised, ${view.unchanged} unchanged, ${view.stale} stale, ${view.retracted} retracted, ${view.rejected} rejected), ${rate} rows/s`);
      }
      if (view.state === 'done' || view.state === 'failed') break;
    }
    await sleep(o.pollMs);
  }
  if (bar) {
    bar.update(view.rows, { state: view.state });
    bar.setTotal(Math.max(1, view.rows));
    bar.stop();
  }
  const secs = (Date.now() - started) / 1000;
  console.log(`${view.state}: ${view.rows} rows in ${secs.toFixed(1)} s (${Math.round(view.rows / Math.max(0.001, secs))} rows/s); accepted ${view.accepted}, revised ${view.revised}, unchanged ${view.unchanged}, stale ${view.stale}, retracted ${view.retracted}, rejected ${view.rejected}; sha256 ${view.sha256}`);
  for (const e of (view.errors || []).slice(0, 10)) console.log(`  line ${e.line} ${e.field}: ${e.message}`);
  if (view.errors && view.errors.length > 10) console.log(`  … ${view.rejected - 10} more rejected rows (GET /api/imports/${id})`);
  if (view.state === 'failed') {
    console.error(`import failed: ${view.failure}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.message ? err.message : err);
    process.exit(1);
  },
);
