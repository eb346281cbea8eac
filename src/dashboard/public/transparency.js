/*
 * claim-ledger dashboard: transparency (issue 12).
 * - The header badge shows the latest signed checkpoint: its size, when it was signed, and how
 *   many witnesses cosigned it (GET /api/checkpoint).
 * - A claim page gets "Verify this verdict": it downloads GET /api/claims/:id/proof and the
 *   log's key, and checks in this browser, with WebCrypto, that the verdict event hashes to
 *   its recorded hash, that the inclusion proof leads to the checkpoint's root, and that the
 *   checkpoint is signed by the log's Ed25519 key (where the browser has Ed25519; else it says so).
 * Kept apart from app.js: it reads the same stored key and watches the claim view.
 */
(function () {
  'use strict';

  var KEY_STORE = 'claim-ledger.apiKey';
  var EM = '\u2014 ';
  var subtle = window.crypto && window.crypto.subtle;

  function $(id) { return document.getElementById(id); }
  function key() { try { return localStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; } }
  function get(path) {
    var headers = {};
    if (key()) headers.Authorization = 'Bearer ' + key();
    return fetch(path, { headers: headers, cache: 'no-store' });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------ bytes and hashes

  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function bytesToHex(b) {
    var s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  function b64ToBytes(s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function concat(parts) {
    var n = 0;
    parts.forEach(function (p) { n += p.length; });
    var out = new Uint8Array(n);
    var o = 0;
    parts.forEach(function (p) { out.set(p, o); o += p.length; });
    return out;
  }
  function utf8(s) { return new TextEncoder().encode(s); }
  function sha256(bytes) { return subtle.digest('SHA-256', bytes).then(function (d) { return new Uint8Array(d); }); }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** RFC 8785: members sorted by UTF-16 code units, ECMAScript number and string forms. */
  function canonical(v) {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    return '{' + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ':' + canonical(v[k]); }).join(',') + '}';
  }
  function eventHash(e) {
    var envelope = '{"data":' + canonical(e.data) + ',"metadata":' + canonical(e.metadata) + ',"position":' + e.position +
      ',"prevHash":' + JSON.stringify(e.prevHash) + ',"recordedAt":' + JSON.stringify(e.recordedAt) + ',"streamId":' + JSON.stringify(e.streamId) +
      ',"streamVersion":' + e.streamVersion + ',"type":' + JSON.stringify(e.type) + '}';
    return sha256(utf8(envelope)).then(bytesToHex);
  }

  /** RFC 9162 §2.1.3.2: the root an inclusion proof leads to (null when it does not fit). */
  function rootFromProof(leaf, index, size, proof) {
    var fn = index, sn = size - 1, r = leaf, i = 0;
    function step() {
      if (i === proof.length) return Promise.resolve(sn === 0 ? r : null);
      if (sn === 0) return Promise.resolve(null);
      var p = proof[i++];
      var next;
      if (fn % 2 === 1 || fn === sn) {
        next = sha256(concat([new Uint8Array([1]), p, r]));
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        next = sha256(concat([new Uint8Array([1]), r, p]));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
      return next.then(function (h) { r = h; return step(); });
    }
    return step();
  }

  /** A C2SP signed note: body, the signature lines, and the checkpoint's size and root. */
  function parseNote(text) {
    var split = text.lastIndexOf('\n\n');
    if (split < 0) throw new Error('not a signed note');
    var body = text.slice(0, split + 1);
    var lines = body.split('\n');
    var sigs = text.slice(split + 2).split('\n').filter(Boolean).map(function (l) {
      if (l.indexOf(EM) !== 0) throw new Error('bad signature line');
      var rest = l.slice(EM.length), sp = rest.lastIndexOf(' ');
      return { name: rest.slice(0, sp), blob: b64ToBytes(rest.slice(sp + 1)) };
    });
    return { body: body, origin: lines[0], size: Number(lines[1]), root: b64ToBytes(lines[2]), signatures: sigs };
  }

  function parseVkey(vkey) {
    var m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey.trim());
    if (!m) throw new Error('bad vkey');
    var blob = b64ToBytes(m[3]);
    return { name: m[1], keyId: hexToBytes(m[2]), type: blob[0], pub: blob.slice(1) };
  }

  // ------------------------------------------------------------ the header badge

  function ensureBadge() {
    var badge = $('checkpoint');
    if (badge) return badge;
    var host = document.querySelector('.topbar-status');
    if (!host) return null;
    badge = el('a', 'checkpoint', 'Checkpoint: …');
    badge.id = 'checkpoint';
    badge.href = '/api/checkpoint/key';
    badge.title = 'The latest signed checkpoint of the ledger (C2SP); the link is the log\'s public key';
    host.insertBefore(badge, $('verify') || null);
    return badge;
  }

  function refreshBadge() {
    var badge = ensureBadge();
    if (!badge) return;
    get('/api/checkpoint').then(function (res) {
      if (res.status === 404) { badge.textContent = 'Checkpoint: none yet'; badge.dataset.state = 'none'; return; }
      if (res.status === 401 || res.status === 403) { badge.textContent = 'Checkpoint: key needed'; badge.dataset.state = 'unknown'; return; }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      var signedAt = res.headers.get('last-modified');
      return res.text().then(function (text) {
        var note = parseNote(text);
        var cosigned = note.signatures.filter(function (s) { return s.name !== note.origin; }).length;
        var when = signedAt ? new Date(signedAt).toLocaleTimeString() : '';
        badge.textContent = 'Signed: ' + note.size.toLocaleString() + ' events' + (when ? ' · ' + when : '') + ' · ' + cosigned + ' cosignature' + (cosigned === 1 ? '' : 's');
        badge.dataset.state = 'ok';
        badge.dataset.size = String(note.size);
        badge.dataset.cosignatures = String(cosigned);
      });
    }).catch(function () { badge.textContent = 'Checkpoint: unavailable'; badge.dataset.state = 'bad'; });
  }

  // ------------------------------------------------------------ "verify this verdict"

  function claimIdFromHash() {
    var m = /^#\/claims\/([0-9a-fA-F-]{36})(\?|$)/.exec(location.hash || '');
    return m ? m[1].toLowerCase() : null;
  }

  function verifyVerdict(claimId) {
    var checks = [];
    function add(ok, text) { checks.push({ ok: ok, text: text }); }
    if (!subtle) return Promise.resolve({ checks: [{ ok: false, text: 'This browser has no WebCrypto (a secure context is needed): nothing can be checked here.' }] });
    return Promise.all([get('/api/claims/' + claimId + '/proof'), get('/api/checkpoint/key')]).then(function (rs) {
      if (!rs[0].ok) throw new Error(rs[0].status === 409 ? 'This claim has no verdict yet.' : 'The proof is not available (HTTP ' + rs[0].status + ').');
      return Promise.all([rs[0].json(), rs[1].text()]);
    }).then(function (got) {
      var p = got[0], vkey = parseVkey(got[1]), ev = p.event, note = parseNote(p.checkpoint);
      return eventHash(ev).then(function (h) {
        add(h === ev.hash, h === ev.hash ? 'The verdict event (position ' + ev.position + ') hashes to its recorded hash.' : 'The verdict event does not hash to its recorded hash.');
        return sha256(concat([new Uint8Array([0]), hexToBytes(ev.hash)]));
      }).then(function (leaf) {
        var proof = p.inclusion.proof.map(hexToBytes);
        return rootFromProof(leaf, ev.position - 1, note.size, proof);
      }).then(function (root) {
        var ok = root !== null && equal(root, note.root);
        add(ok, ok ? 'Its inclusion proof leads to the root of the signed tree of ' + note.size.toLocaleString() + ' events.' : 'Its inclusion proof does not lead to the checkpoint\'s root.');
        return sha256(concat([utf8(vkey.name), new Uint8Array([0x0a, 0x01]), vkey.pub]));
      }).then(function (id) {
        if (!equal(id.slice(0, 4), vkey.keyId) || vkey.type !== 1) { add(false, 'The log\'s key is malformed.'); return; }
        var sig = note.signatures.filter(function (s) { return s.name === vkey.name && equal(s.blob.slice(0, 4), vkey.keyId); })[0];
        if (!sig) { add(false, 'The checkpoint carries no signature of the log\'s key.'); return; }
        return subtle.importKey('raw', vkey.pub, { name: 'Ed25519' }, false, ['verify']).then(function (k) {
          return subtle.verify({ name: 'Ed25519' }, k, sig.blob.slice(4), utf8(note.body));
        }).then(function (ok) {
          add(ok, ok ? 'The checkpoint is signed by the log\'s key ' + vkey.name + ' (Ed25519).' : 'The checkpoint signature does not verify.');
        }, function () {
          add(null, 'This browser cannot check Ed25519 signatures (WebCrypto): check the checkpoint with npm run verify-log.');
        });
      }).then(function () {
        var cosigned = note.signatures.filter(function (s) { return s.name !== note.origin; }).length;
        add(null, cosigned + ' witness cosignature' + (cosigned === 1 ? '' : 's') + ' on this checkpoint. The key is the one this site serves: compare it with the one the newsroom publishes elsewhere.');
        return { checks: checks };
      });
    }).catch(function (err) { add(false, err.message || String(err)); return { checks: checks }; });
  }

  function ensureVerifyBox() {
    var view = $('claim-view');
    var claimId = claimIdFromHash();
    if (!view || view.hidden || !claimId || !view.firstChild) return;
    var box = $('verdict-proof');
    if (box && box.dataset.claim === claimId && view.contains(box)) return;
    box = el('section', 'verdict-proof');
    box.id = 'verdict-proof';
    box.dataset.claim = claimId;
    box.setAttribute('aria-labelledby', 'verdict-proof-title');
    var title = el('h2', null, 'Check this verdict yourself');
    title.id = 'verdict-proof-title';
    var button = el('button', 'button-primary', 'Verify this verdict');
    button.type = 'button';
    button.id = 'verify-verdict';
    var result = el('ul', 'proof-result');
    result.id = 'verdict-proof-result';
    result.setAttribute('aria-live', 'polite');
    button.addEventListener('click', function () {
      button.disabled = true;
      result.textContent = '';
      result.appendChild(el('li', null, 'Checking…'));
      verifyVerdict(claimId).then(function (r) {
        result.textContent = '';
        var allOk = r.checks.length > 0 && r.checks.every(function (c) { return c.ok !== false; });
        box.dataset.result = allOk ? 'verified' : 'failed';
        r.checks.forEach(function (c) {
          var li = el('li', c.ok === true ? 'ok' : c.ok === false ? 'bad' : 'note', (c.ok === true ? '✓ ' : c.ok === false ? '✗ ' : '· ') + c.text);
          result.appendChild(li);
        });
        button.disabled = false;
      });
    });
    box.appendChild(title);
    box.appendChild(el('p', 'muted', 'Checks in this browser that the verdict is in the ledger\'s signed history: its hash, its Merkle inclusion proof, and the checkpoint\'s signature.'));
    box.appendChild(button);
    box.appendChild(result);
    view.appendChild(box);
  }

  function start() {
    refreshBadge();
    setInterval(refreshBadge, 10000);
    var view = $('claim-view');
    if (view) new MutationObserver(ensureVerifyBox).observe(view, { childList: true });
    window.addEventListener('hashchange', ensureVerifyBox);
    window.addEventListener('storage', refreshBadge);
    ensureVerifyBox();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
