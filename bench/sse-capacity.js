'use strict';
/**
 * How many concurrent SSE clients one claim-ledger process holds, and what they cost the
 * append rate. Three processes: the service (compiled, from dist/ or BENCH_DIST), a holder of
 * N SSE connections (bench/sse-holder.js), and this one driving POST /api/claims with
 * autocannon. For each N it reports: connect time, append rate and latency under load with
 * the N clients live, whether every client received every event, the fan-out delay of single
 * appends (POST answered → the last of the N clients has the event), and the service's RSS.
 *
 *   npx tsc -p tsconfig.build.json --outDir /tmp/cl-dist
 *   BENCH_DIST=/tmp/cl-dist node bench/sse-capacity.js --clients 0,100,500,1000 --seconds 10
 *
 * Prints a table, and the results as one JSON line at the end.
 */
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..');
const { values: opt } = parseArgs({
  options: {
    clients: { type: 'string', default: '0,100,500,1000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    probes: { type: 'string', default: '20' },
    dist: { type: 'string', default: process.env.BENCH_DIST || path.join(ROOT, 'dist') },
  },
});
const ADMIN = 'bench-admin-key-0123456789abcdef';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function call(base, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request(
      `${base}${p}`,
      { method, agent: false, headers: { authorization: `Bearer ${ADMIN}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const claim = (i) => ({
  kind: 'claim',
  statement: `Bench claim ${i}: "We won't invade Crimea, it's part of Russia"`,
  speaker: { name: 'Dmitry Peskov', affiliation: 'Kremlin' },
  madeAt: '2022-03-30T12:00:00+03:00',
  source: { url: 'https://www.themoscowtimes.com/2022/03/30/kremlin-sees-no-breakthroughs-at-ukraine-talks-a77146', publisher: 'The Moscow Times' },
  topics: ['Crimea'],
});

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}


/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

class Holder {
  constructor() {
    this.child = fork(path.join(__dirname, 'sse-holder.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.waiting = new Map();
    this.child.on('message', (m) => {
      const w = this.waiting.get(m.cmd);
      if (w) {
        this.waiting.delete(m.cmd);
        w(m);
      }
    });
  }
  ask(cmd, extra = {}, answer = cmd) {
    return new Promise((resolve) => {
      this.waiting.set(answer, resolve);
      this.child.send({ cmd, ...extra });
    });
  }
  tell(cmd, extra = {}) {
    this.child.send({ cmd, ...extra });
  }
  async stop() {
    await this.ask('close', {}, 'closed');
    this.child.kill();
  }
}

async function load(base, seconds, connections) {
  let i = 0;
  const result = await autocannon({
    url: `${base}/api/claims`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(claim(i++)) }) }],
  });
  return {
    // Only answered 201s count as appends.
    rps: Math.round((result.requests.total - result.non2xx) / seconds),
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function main() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claim-ledger-sse-bench-'));
  const server = spawn(process.execPath, [path.join(opt.dist, 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: path.join(dir, 'ledger.sqlite'),
      ADMIN_API_KEY: ADMIN,
      PUBLIC_READ: 'true',
      LOG_LEVEL: 'error',
      REDIS_URL: '',
      SSE_HEARTBEAT_MS: '15000',
      // The per-key rate limits would cap the load generator, not the service: off here.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
      // All N clients are keyless and come from one address: the stream caps are off here too.
      SSE_MAX_CLIENTS: '0',
      SSE_MAX_CLIENTS_PER_IP: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const rows = [];
  try {
    for (let k = 0; ; k++) {
      try {
        if ((await call(base, 'GET', '/api/events?limit=1')).status === 200) break;
      } catch {
        /* not up yet */
      }
      if (k > 300) throw new Error('the service did not start');
      await sleep(100);
    }
    // Warm up (JIT, SQLite cache), not measured.
    await load(base, 2, Number(opt.connections));

    for (const n of opt.clients.split(',').map(Number)) {
      const holder = new Holder();
      const head0 = (await call(base, 'POST', '/api/claims', claim('head'))).body.position;
      const opened = await holder.ask('open', { n, url: `${base}/api/events/stream?after=${head0}` }, 'opened');
      await sleep(500);
      const rssBefore = rssOf(server.pid);

      const cpu0 = { server: cpuSeconds(server.pid), holder: cpuSeconds(holder.child.pid), self: process.cpuUsage() };
      const l = await load(base, Number(opt.seconds), Number(opt.connections));
      const selfCpu = process.cpuUsage(cpu0.self);
      const cpu = {
        server: +((cpuSeconds(server.pid) - cpu0.server) / Number(opt.seconds)).toFixed(2),
        holder: +((cpuSeconds(holder.child.pid) - cpu0.holder) / Number(opt.seconds)).toFixed(2),
        loadgen: +((selfCpu.user + selfCpu.system) / 1e6 / Number(opt.seconds)).toFixed(2),
      };
      const head = (await call(base, 'POST', '/api/claims', claim('tail'))).body.position;
      const drainStart = Date.now();
      let st = await holder.ask('status');
      while (n > 0 && st.minId < head && Date.now() - drainStart < 60_000) {
        await sleep(50);
        st = await holder.ask('status');
      }
      const drainMs = Date.now() - drainStart;
      const rssLoaded = rssOf(server.pid);

      // Fan-out delay of single appends on a quiet log: POST answered → every client has it.
      holder.tell('probe', { on: true });
      const answered = new Map();
      for (let i = 0; i < Number(opt.probes); i++) {
        const r = await call(base, 'POST', '/api/claims', claim(`probe ${i}`));
        answered.set(r.body.position, Date.now());
        await sleep(50);
      }
      await sleep(n > 0 ? 1000 : 0);
      const probe = n > 0 ? await holder.ask('probe', { on: false }) : { reachedAll: [] };
      const delays = probe.reachedAll
        .filter(([p]) => answered.has(p))
        .map(([p, t]) => Math.max(0, t - answered.get(p)))
        .sort((a, b) => a - b);
      const final = await holder.ask('status');
      const row = {
        clients: n,
        connected: opened.ok,
        connectMs: opened.ms,
        connectErrors: opened.errors,
        appendsPerSec: l.rps,
        appends: l.total,
        p50ms: l.p50,
        p99ms: l.p99,
        non2xx: l.non2xx,
        allDelivered: n === 0 ? null : st.minId >= head && final.alive === n && final.gaps === 0 && final.duplicates === 0,
        reconnects: final.reconnects,
        gaps: final.gaps,
        duplicates: final.duplicates,
        drainAfterLoadMs: n === 0 ? null : drainMs,
        fanoutDelayP50ms: delays.length ? delays[Math.floor(delays.length / 2)] : null,
        fanoutDelayMaxms: delays.length ? delays[delays.length - 1] : null,
        probesSeenByAll: n === 0 ? null : `${delays.length}/${answered.size}`,
        eventsDelivered: n * l.total,
        serverRssMB: { idle: rssBefore, afterLoad: rssLoaded },
        cpuCoresUsed: cpu,
        loadAvg: os.loadavg()[0],
        holderRssMB: Math.round(final.rss / 1048576),
      };
      rows.push(row);
      console.log(
        `clients ${String(n).padStart(5)} | connected ${String(opened.ok).padStart(5)} in ${String(opened.ms).padStart(5)} ms | ` +
          `appends ${String(l.rps).padStart(5)}/s p50 ${l.p50} ms p99 ${l.p99} ms | all delivered ${row.allDelivered} ` +
          `(reconnects ${final.reconnects}, gaps ${final.gaps}, dups ${final.duplicates}) ` +
          `(drain ${row.drainAfterLoadMs} ms) | fan-out p50 ${row.fanoutDelayP50ms} ms max ${row.fanoutDelayMaxms} ms | server RSS ${rssBefore}→${rssLoaded} MB | ` +
          `CPU cores: server ${cpu.server} holder ${cpu.holder} loadgen ${cpu.loadgen} | loadavg ${os.loadavg()[0].toFixed(1)}`,
      );
      await holder.stop();
      await sleep(500);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'sse-capacity', cpus: os.cpus().length, node: process.version, seconds: Number(opt.seconds), connections: Number(opt.connections), rows }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
