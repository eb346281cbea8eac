/*
 * claim-ledger dashboard: imports (issue 13).
 * - "Imports" in the header opens #/imports: every import, newest first (GET /api/imports), and
 *   #/imports/<id>: its state, live counts, the file's SHA-256 and the rejected lines with their
 *   field (GET /api/imports/:id), refreshed while it runs.
 * - A pledge's page gets "Imported rows that count": for each imported report attached to it,
 *   the dataset row, and why it counts: "some day between …" (observedUntil), "within 25 km of …"
 *   (precisionKm), and the scope place and indicator it matched (GET /api/evidence/:id: the
 *   latest revision's facts).
 * Kept apart from app.js: it reads the same stored key and watches the claim view.
 */
(function () {
  'use strict';

  var KEY_STORE = 'claim-ledger.apiKey';
  var MAX_ROWS_SHOWN = 50;
  var state = { timer: null, claimShown: null };

  function $(id) { return document.getElementById(id); }
  function key() { try { return localStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; } }
  function get(path) {
    var headers = {};
    if (key()) headers.Authorization = 'Bearer ' + key();
    return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error(path + ' answered ' + res.status);
      return res.json();
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function link(href, text) {
    var a = el('a', null, text);
    a.href = href;
    return a;
  }
  function fmtDate(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  }
  function fmtDay(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
  }
  function num(n) { return typeof n === 'number' ? n.toLocaleString('en-US') : '—'; }

  // ------------------------------------------------------------ the Imports view

  function ensureView() {
    var view = $('imports-view');
    if (!view) {
      view = el('section');
      view.id = 'imports-view';
      view.hidden = true;
      view.setAttribute('aria-live', 'polite');
      var main = $('main');
      if (main) main.appendChild(view);
    }
    return view;
  }

  function ensureNavLink() {
    if ($('imports-link')) return;
    var bar = document.querySelector('.topbar-status');
    if (!bar) return;
    var a = link('#/imports', 'Imports');
    a.id = 'imports-link';
    a.className = 'button-quiet imports-link';
    bar.insertBefore(a, bar.firstChild);
  }

  var COUNTS = ['rows', 'accepted', 'revised', 'unchanged', 'stale', 'retracted', 'rejected'];

  function renderList(view, page) {
    view.textContent = '';
    view.appendChild(el('h1', 'section-title', 'Imports'));
    view.appendChild(el('p', 'muted', 'Files of field reports (ACLED exports, deletions, NDJSON), newest first. Rows are keyed by dataset and row id: importing a file again appends nothing.'));
    if (!page.items.length) {
      view.appendChild(el('p', 'empty', 'No imports yet. Upload one with npm run import or POST /api/imports.'));
      return;
    }
    var table = el('table', 'imports-table');
    var head = el('tr');
    ['Import', 'Dataset', 'Format', 'State'].concat(COUNTS).concat(['Created']).forEach(function (t) { head.appendChild(el('th', null, t)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    page.items.forEach(function (imp) {
      var tr = el('tr');
      tr.setAttribute('data-import-id', imp.id);
      tr.appendChild(el('td')).appendChild(link('#/imports/' + imp.id, imp.id.slice(0, 8)));
      tr.appendChild(el('td', null, imp.dataset));
      tr.appendChild(el('td', null, imp.format));
      tr.appendChild(el('td')).appendChild(stateBadge(imp.state));
      COUNTS.forEach(function (c) { tr.appendChild(el('td', 'num', num(imp[c]))); });
      tr.appendChild(el('td', null, fmtDate(imp.createdAt)));
      body.appendChild(tr);
    });
    view.appendChild(table);
  }

  function stateBadge(s) {
    var b = el('span', 'import-state', s);
    b.setAttribute('data-state', s);
    return b;
  }

  function renderOne(view, imp) {
    view.textContent = '';
    view.appendChild(link('#/imports', '← All imports'));
    view.appendChild(el('h1', 'section-title', 'Import ' + imp.id));
    var dl = el('dl', 'import-facts');
    function row(k, v) {
      dl.appendChild(el('dt', null, k));
      var dd = dl.appendChild(el('dd'));
      if (v instanceof Node) dd.appendChild(v); else dd.textContent = v;
    }
    row('State', stateBadge(imp.state));
    row('Dataset', imp.dataset + ' (' + imp.format + ')');
    row('File SHA-256', imp.sha256);
    row('Size', num(imp.bytes) + ' bytes');
    row('Started', fmtDate(imp.startedAt));
    row('Finished', fmtDate(imp.finishedAt));
    if (imp.failure) row('Failure', imp.failure);
    view.appendChild(dl);
    var counts = el('ul', 'import-counts');
    COUNTS.forEach(function (c) {
      var li = counts.appendChild(el('li'));
      li.appendChild(el('strong', null, num(imp[c])));
      li.appendChild(document.createTextNode(' ' + c));
    });
    view.appendChild(counts);
    var errors = imp.errors || [];
    view.appendChild(el('h2', null, errors.length ? 'Rejected rows' + (imp.rejected > errors.length ? ' (the first ' + errors.length + ' of ' + num(imp.rejected) + ')' : '') : 'No rejected rows'));
    if (errors.length) {
      var t = el('table', 'import-errors');
      var hr = el('tr');
      ['Line', 'Field', 'Problem'].forEach(function (x) { hr.appendChild(el('th', null, x)); });
      t.appendChild(el('thead')).appendChild(hr);
      var tb = t.appendChild(el('tbody'));
      errors.forEach(function (e) {
        var tr = tb.appendChild(el('tr'));
        tr.appendChild(el('td', 'num', e.line));
        tr.appendChild(el('td', null, e.field));
        tr.appendChild(el('td', null, e.message));
      });
      view.appendChild(t);
    }
  }

  function showImports(id) {
    var view = ensureView();
    ['list-view', 'claim-view'].forEach(function (v) { if ($(v)) $(v).hidden = true; });
    view.hidden = false;
    document.title = 'Imports · claim-ledger';
    clearTimeout(state.timer);
    var load = id
      ? get('/api/imports/' + id).then(function (imp) {
          renderOne(view, imp);
          if (imp.state === 'queued' || imp.state === 'running') state.timer = setTimeout(function () { showImports(id); }, 1000);
        })
      : get('/api/imports?limit=100').then(function (page) { renderList(view, page); });
    load.catch(function (err) {
      view.textContent = '';
      view.appendChild(el('p', 'error', 'Could not load imports: ' + err.message));
    });
  }

  function route() {
    var m = /^#\/imports(?:\/([0-9a-fA-F-]{36}))?\/?$/.exec(location.hash || '');
    if (m) {
      showImports(m[1] ? m[1].toLowerCase() : null);
    } else {
      clearTimeout(state.timer);
      var view = $('imports-view');
      if (view) view.hidden = true;
    }
  }

  // ------------------------------------------------------------ a pledge's imported rows

  /** Why an imported row counts, in words: its window, its area, and what it matched. */
  function reasons(ev, rule) {
    var out = [];
    if (ev.observedUntil) {
      var last = new Date(Date.parse(ev.observedUntil) - 1).toISOString();
      out.push(fmtDay(ev.observedAt) === fmtDay(last) ? 'on ' + fmtDay(ev.observedAt) : 'some day between ' + fmtDay(ev.observedAt) + ' and ' + fmtDay(last));
    } else out.push('at ' + fmtDate(ev.observedAt));
    var p = (ev.places || [])[0];
    if (p) out.push(p.precisionKm ? 'within ' + p.precisionKm + ' km of ' + p.name : 'at ' + p.name);
    if (rule) {
      out.push(rule.by === 'distance'
        ? (rule.distanceKm !== undefined ? rule.distanceKm + ' km from ' : 'near ') + rule.place + ', wholly inside its radius'
        : 'named ' + rule.place);
      out.push('indicator “' + rule.indicator + '” (' + rule.name + ')');
    }
    return out.join('; ');
  }

  function importedPanel(claimId) {
    var view = $('claim-view');
    if (!view || view.hidden || $('imported-rows')) return;
    var panel = el('section', 'panel imported-rows');
    panel.id = 'imported-rows';
    panel.hidden = true;
    view.appendChild(panel);
    get('/api/claims/' + claimId).then(function (claim) {
      if (claim.kind !== 'pledge') return;
      var items = (claim.evidence || []).filter(function (e) { return e.attachedBy === 'matcher' && e.attached !== false && !e.retracted; });
      return Promise.all(items.slice(0, MAX_ROWS_SHOWN).map(function (e) {
        return get('/api/evidence/' + e.evidenceId).then(function (ev) { return { item: e, ev: ev }; }, function () { return null; });
      })).then(function (rows) {
        rows = rows.filter(function (r) { return r && r.ev.external; });
        if (!rows.length) return;
        panel.appendChild(el('h2', null, 'Imported rows that count'));
        panel.appendChild(el('p', 'muted', 'Rows of imported datasets attached to this pledge, as their latest revision says. A row whose time or place only might lie in the scope is never counted.'));
        var list = panel.appendChild(el('ul', 'imported-list'));
        rows.forEach(function (r) {
          var li = list.appendChild(el('li'));
          li.setAttribute('data-evidence-id', r.ev.id);
          var x = r.ev.external;
          li.appendChild(el('strong', null, x.dataset + ' ' + x.id));
          if (r.ev.revisions) li.appendChild(el('span', 'muted', ' (revised ' + r.ev.revisions + '×)'));
          li.appendChild(el('div', 'why', reasons(r.ev, r.item.rule)));
        });
        if (items.length > MAX_ROWS_SHOWN) panel.appendChild(el('p', 'muted', 'The first ' + MAX_ROWS_SHOWN + ' of ' + items.length + ' matched reports.'));
        panel.hidden = false;
      });
    }).catch(function () { /* nothing to add */ });
  }

  function watchClaim() {
    var m = /^#\/claims\/([0-9a-fA-F-]{36})/.exec(location.hash || '');
    if (m) importedPanel(m[1].toLowerCase());
  }

  function start() {
    ensureNavLink();
    ensureView();
    window.addEventListener('hashchange', route);
    var view = $('claim-view');
    if (view) new MutationObserver(watchClaim).observe(view, { childList: true });
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
