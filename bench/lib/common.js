'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The compiled service; BENCH_DIST points elsewhere (a private build) while developing. */
const DIST = path.resolve(ROOT, process.env.BENCH_DIST || 'dist');
const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';

function dist(rel) {
  return require(path.join(DIST, rel));
}

function tempDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `claim-ledger-bench-${label}-`));
}

function rmrf(p) {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `node script args` and resolves with the JSON object on the last stdout line that
 * starts with "{"; other output is passed through (indented) when `echo` is set.
 */
function runNode(script, args = [], { env = {}, echo = true, nodeArgs = [], label } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = null;
    let buf = '';
    let errTail = '';
    const tag = label ? `  [${label}] ` : '  ';
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            last = JSON.parse(line);
            continue;
          } catch {
            /* not ours */
          }
        }
        if (echo && line.trim()) process.stdout.write(tag + line + '\n');
      }
    });
    child.stderr.on('data', (chunk) => {
      errTail = (errTail + chunk).slice(-4000);
      if (echo) process.stderr.write(String(chunk).replace(/^/gm, tag));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (buf.startsWith('{')) {
        try {
          last = JSON.parse(buf);
        } catch {
          /* ignore */
        }
      }
      if (code === 0 && last) resolve(last);
      else reject(new Error(`${path.basename(script)} exited with ${code ?? signal}${errTail ? `: ${errTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`));
    });
  });
}

/** A long-running child (service, worker, echo app): output kept in a ring for diagnostics. */
function startProcess(script, args, env, label, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-8000);
    if (process.env.BENCH_VERBOSE) process.stderr.write(String(chunk).replace(/^/gm, `  [${label}] `));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    label,
    exited,
    tail: () => tail,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls a URL until any HTTP answer comes back (the server is listening). */
async function waitForHttp(url, proc, timeoutMs = 60_000, headers = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`${proc.label} exited before listening: ${proc.tail().trim().split('\n').slice(-8).join(' | ')}`);
    }
    try {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

function rssMb(bytesOrKb, unit = 'kb') {
  return unit === 'kb' ? bytesOrKb / 1024 : bytesOrKb / (1024 * 1024);
}

module.exports = { ROOT, DIST, QUICK, dist, tempDir, rmrf, percentile, summarize, freePort, sleep, runNode, startProcess, waitForHttp, rssMb };
