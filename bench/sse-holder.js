'use strict';
/**
 * Holds N Server-Sent Events connections to /api/events/stream and reports, over IPC, how far
 * each one got. A child of bench/sse-capacity.js; kept light so that the client side is not
 * what limits the measurement (it tracks the last id per connection, and in "probe" mode the
 * moment every connection has seen a given position).
 */
const http = require('node:http');

let clients = [];
let probing = false;
const seenBy = new Map(); // position -> how many clients have it (probe mode)
const reachedAll = new Map(); // position -> Date.now() when the last client got it
let bytes = 0;
let heartbeats = 0;

let reconnects = 0;
let gaps = 0;
let duplicates = 0;
let closing = false;

/**
 * One connection, resumed like a browser's EventSource: when the server ends it (it drops a
 * consumer that falls too far behind), it reconnects with Last-Event-ID after a short pause.
 * Checks, for every id received, that it is exactly the one after the previous (no gap, no
 * duplicate) across reconnections.
 */
function openOne(url, i) {
  const c = { i, lastId: null, ready: false, ended: false, req: null, res: null, error: null };
  return new Promise((resolve) => {
    const connect = () => {
      const headers = { accept: 'text/event-stream' };
      if (c.lastId !== null) headers['last-event-id'] = String(c.lastId);
      const req = http.get(url, { agent: false, headers }, (res) => {
        c.res = res;
        if (res.statusCode !== 200) {
          c.error = `HTTP ${res.statusCode}`;
          c.ended = true;
          res.resume();
          resolve(c);
          return;
        }
        res.setEncoding('utf8');
        let carry = '';
        res.on('data', (chunk) => {
          bytes += chunk.length;
          if (!c.ready) {
            c.ready = true;
            resolve(c);
          }
          const text = carry + chunk;
          const cut = text.lastIndexOf('\n');
          carry = cut >= 0 ? text.slice(cut + 1) : text;
          const complete = cut >= 0 ? text.slice(0, cut + 1) : '';
          if (complete.includes(': heartbeat')) heartbeats++;
          // Every "id: N" line, in order.
          let at = complete.startsWith('id: ') ? 0 : complete.indexOf('\nid: ');
          while (at >= 0) {
            const start = complete[at] === '\n' ? at + 5 : at + 4;
            const end = complete.indexOf('\n', start);
            const id = Number(complete.slice(start, end));
            if (c.lastId !== null) {
              if (id <= c.lastId) duplicates++;
              else if (id !== c.lastId + 1) gaps++;
            }
            c.lastId = id;
            if (probing) {
              const n = (seenBy.get(id) || 0) + 1;
              seenBy.set(id, n);
              if (n === clients.length) reachedAll.set(id, Date.now());
            }
            at = complete.indexOf('\nid: ', end);
          }
        });
        const again = () => {
          if (closing || c.error) return;
          reconnects++;
          setTimeout(connect, 200);
        };
        res.on('end', again);
        res.on('error', () => undefined);
      });
      req.on('error', (err) => {
        if (closing) return;
        if (!c.ready) {
          c.error = err.code || err.message;
          c.ended = true;
          resolve(c);
        } else {
          reconnects++;
          setTimeout(connect, 200);
        }
      });
      c.req = req;
    };
    connect();
  });
}

process.on('message', async (msg) => {
  if (msg.cmd === 'open') {
    const started = Date.now();
    const batch = 200; // connect in waves, as many dashboards would
    for (let i = 0; i < msg.n; i += batch) {
      const wave = [];
      for (let k = i; k < Math.min(msg.n, i + batch); k++) wave.push(openOne(msg.url, k));
      clients.push(...(await Promise.all(wave)));
    }
    const failed = clients.filter((c) => c.error);
    process.send({ cmd: 'opened', n: clients.length, ok: clients.length - failed.length, errors: [...new Set(failed.map((c) => c.error))], ms: Date.now() - started });
  } else if (msg.cmd === 'status') {
    const alive = clients.filter((c) => !c.ended && !c.error);
    const ids = alive.map((c) => c.lastId ?? 0);
    process.send({ cmd: 'status', alive: alive.length, minId: ids.length ? Math.min(...ids) : 0, maxId: ids.length ? Math.max(...ids) : 0, bytes, heartbeats, reconnects, gaps, duplicates, rss: process.memoryUsage().rss });
  } else if (msg.cmd === 'probe') {
    probing = msg.on;
    if (msg.on) {
      seenBy.clear();
      reachedAll.clear();
    } else {
      process.send({ cmd: 'probe', reachedAll: [...reachedAll.entries()] });
    }
  } else if (msg.cmd === 'close') {
    closing = true;
    for (const c of clients) {
      c.req?.destroy();
      c.res?.destroy();
    }
    clients = [];
    process.send({ cmd: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
