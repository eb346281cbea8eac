/*
 * claim-ledger dashboard: plain JavaScript, no framework, no build step.
 *
 * Data comes from the JSON API with the key from localStorage (sent as a Bearer token) when
 * reads are not public. Live updates come from GET /api/events/stream through EventSource;
 * EventSource cannot send headers, and a key must never be in a URL, so with a key the page first
 * gets a single-use ticket (POST /api/events/stream-tickets) and opens the stream with ?ticket=.
 */
(function () {
  'use strict';

  var KEY_STORE = 'claim-ledger.apiKey';
  var STATUSES = ['unverified', 'confirmed', 'supported', 'disputed', 'contradicted', 'refuted'];
  var RELIABILITY = {
    A: 'Completely reliable', B: 'Usually reliable', C: 'Fairly reliable',
    D: 'Not usually reliable', E: 'Unreliable', F: 'Reliability cannot be judged',
  };
  var CREDIBILITY = {
    1: 'Confirmed by other sources', 2: 'Probably true', 3: 'Possibly true',
    4: 'Doubtful', 5: 'Improbable', 6: 'Truth cannot be judged',
  };
  var R_WEIGHT = { A: 1, B: 0.8, C: 0.6, D: 0.4, E: 0.2, F: 0.5 };
  var C_WEIGHT = { 1: 1, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5 };
  var PAGE = 25;
  var SVG_NS = 'http://www.w3.org/2000/svg';

  var state = {
    key: readKey(),
    list: { filters: {}, cursor: null, pages: 0, loading: false, pendingNew: 0 },
    claimId: null,
    asOf: null,
    claim: null,
    head: 0,
    es: null,
    lastEventId: null,
    retryTimer: null,
    refreshTimer: null,
    listTimer: null,
  };

  // ---------------------------------------------------------------- small helpers

  function $(id) { return document.getElementById(id); }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }

  function s(tag, attrs) {
    var el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else el.setAttribute(k, String(attrs[k]));
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) el.appendChild(arguments[i]);
    return el;
  }

  function readKey() {
    try { return localStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; }
  }

  function writeKey(key) {
    try {
      if (key) localStorage.setItem(KEY_STORE, key);
      else localStorage.removeItem(KEY_STORE);
    } catch (e) { /* storage disabled: the key lives for this page only */ }
    state.key = key;
  }

  var dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  var dateSecFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  function fmtDate(iso, withSeconds) {
    if (!iso) return '—';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return (withSeconds ? dateSecFmt : dateFmt).format(d);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  /** A Date as the value of <input type="datetime-local" step="1"> (local time). */
  function toLocalInput(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function badge(status, large) {
    var st = STATUSES.indexOf(status) >= 0 ? status : 'unverified';
    return h('span', { class: 'badge badge-' + st + (large ? ' badge-large' : ''), 'data-status': st, text: st });
  }

  function grade(ev) {
    var code = String(ev.reliability) + String(ev.credibility);
    var title = (RELIABILITY[ev.reliability] || '?') + ' source; ' + (CREDIBILITY[ev.credibility] || '?').toLowerCase();
    return h('abbr', { class: 'grade', title: title, 'aria-label': 'Admiralty grade ' + code + ': ' + title, text: code });
  }

  function weightOf(ev) {
    var w = (R_WEIGHT[ev.reliability] || 0) * (C_WEIGHT[ev.credibility] || 0);
    return Math.round(w * 1000) / 1000;
  }

  function safeUrl(url) {
    try {
      var u = new URL(url);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) { return null; }
  }

  function sourceLink(source) {
    if (!source) return '—';
    var href = safeUrl(source.url);
    var label = source.publisher || (href ? new URL(href).hostname.replace(/^www\./, '') : source.url);
    if (!href) return label || '—';
    return h('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: label });
  }

  function showError(message) {
    var box = $('error');
    if (!message) { box.hidden = true; box.textContent = ''; return; }
    box.textContent = message;
    box.hidden = false;
  }

  // ---------------------------------------------------------------- API

  function ApiError(status, message) { this.status = status; this.message = message; }

  function api(path) {
    var headers = { Accept: 'application/json' };
    if (state.key) headers.Authorization = 'Bearer ' + state.key;
    return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        return res.json().catch(function () { return {}; }).then(function (p) {
          askForKey(res.status === 403
            ? 'This key may not read the ledger (' + (p.detail || 'forbidden') + '). Use a viewer key.'
            : state.key ? 'The stored key was not accepted (' + (p.detail || 'unknown key') + '). Enter another.'
              : 'Reads on this service need a key. Ask an editor for a viewer key; it is kept in this browser only (localStorage) and sent as a Bearer token.');
          throw new ApiError(res.status, p.detail || 'an API key is needed');
        });
      }
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (p) {
          throw new ApiError(res.status, p.detail || p.title || ('HTTP ' + res.status));
        });
      }
      return res.json();
    });
  }

  // ---------------------------------------------------------------- key dialog

  function askForKey(message) {
    var dialog = $('key-dialog');
    $('key-message').textContent = message;
    $('key-input').value = '';
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    }
    $('key-input').focus();
  }

  function setupKeyDialog() {
    var dialog = $('key-dialog');
    $('key-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var key = $('key-input').value.trim();
      if (!key) return;
      writeKey(key);
      dialog.close();
      restart();
    });
    $('key-forget').addEventListener('click', function () {
      writeKey('');
      dialog.close();
      restart();
    });
    $('key-cancel').addEventListener('click', function () { dialog.close(); });
    $('key-button').addEventListener('click', function () {
      askForKey(state.key ? 'A key is stored in this browser. Enter a new one to replace it, or forget it.'
        : 'Enter an API key (a viewer key is enough to read).');
    });
  }

  // ---------------------------------------------------------------- ledger verify

  function verifyLedger() {
    var btn = $('verify');
    btn.dataset.state = 'unknown';
    btn.textContent = 'Ledger: checking…';
    return api('/api/ledger/verify').then(function (r) {
      state.head = Math.max(state.head, (r.head && r.head.position) || 0);
      state.verified = r;
      renderVerify();
      return r;
    }, function (err) {
      btn.dataset.state = 'unknown';
      btn.textContent = 'Ledger: not checked';
      btn.title = err.message || '';
      throw err;
    });
  }

  /** The last verify result, and how far the live feed has moved the head since. */
  function renderVerify() {
    var r = state.verified;
    var btn = $('verify');
    if (!r) return;
    var checked = (r.head && r.head.position) || 0;
    var since = Math.max(0, state.head - checked);
    if (r.ok) {
      btn.dataset.state = 'ok';
      btn.textContent = '✓ Ledger verified to #' + checked + (since ? ' (+' + since + ' new)' : '');
      btn.title = 'Hash chain recomputed: ' + r.checked + (r.checked === 1 ? ' event' : ' events') + ', head #' + checked +
        (r.head.hash ? ' ' + r.head.hash : '') + '. Click to check again' + (since ? ', including the ' + since + ' new' : '') + '.';
    } else {
      btn.dataset.state = 'bad';
      btn.textContent = '✗ Ledger damaged at #' + r.firstBadPosition;
      btn.title = (r.problem || 'the hash chain does not verify') + '. Click to check again.';
    }
  }

  // ---------------------------------------------------------------- live feed (SSE)

  function setLive(mode, text) {
    var el = $('live');
    el.dataset.state = mode;
    el.textContent = text;
  }

  /** A single-use ticket for one stream connection (keys never go in URLs). */
  function streamTicket() {
    return fetch('/api/events/stream-tickets', {
      method: 'POST',
      headers: { Accept: 'application/json', Authorization: 'Bearer ' + state.key },
      cache: 'no-store',
    }).then(function (res) {
      if (res.status !== 201) throw new ApiError(res.status, 'no stream ticket (HTTP ' + res.status + ')');
      return res.json();
    }).then(function (body) { return body.ticket; });
  }

  function connectFeed() {
    if (state.es) { state.es.close(); state.es = null; }
    clearTimeout(state.retryTimer);
    var attempt = (state.feedAttempt || 0) + 1;
    state.feedAttempt = attempt;
    setLive('connecting', 'Live: connecting…');
    (state.key ? streamTicket() : Promise.resolve(null)).then(function (ticket) {
      if (state.feedAttempt !== attempt) return; // a newer connect() took over meanwhile
      var after = state.lastEventId !== null ? state.lastEventId : state.head;
      var url = '/api/events/stream?after=' + encodeURIComponent(String(after));
      if (ticket) url += '&ticket=' + encodeURIComponent(ticket);
      openFeed(url, Boolean(ticket));
    }).catch(function () {
      setLive('off', 'Live: off');
      state.retryTimer = setTimeout(connectFeed, 5000);
    });
  }

  function openFeed(url, ticketed) {
    var es = new EventSource(url);
    state.es = es;
    es.onopen = function () { setLive('on', 'Live'); };
    es.onerror = function () {
      if (ticketed) {
        // A ticket opens one connection: EventSource's own reconnect would reuse it, so reconnect
        // ourselves with a new ticket (resuming after the last event seen).
        es.close();
        setLive('connecting', 'Live: reconnecting…');
        state.retryTimer = setTimeout(connectFeed, 1000);
      } else if (es.readyState === EventSource.CLOSED) {
        // Refused or the server went away for good: try again later ourselves.
        setLive('off', 'Live: off');
        state.retryTimer = setTimeout(connectFeed, 5000);
      } else {
        setLive('connecting', 'Live: reconnecting…');
      }
    };
    ['ClaimRecorded', 'EvidenceSubmitted', 'EvidenceRetracted', 'EvidenceAttached', 'EvidenceDetached', 'VerificationStatusChanged',
      'ReviewProposed', 'ReviewPublished', 'ReviewRejected', 'ScopeWindowClosed']
      .forEach(function (type) {
        es.addEventListener(type, function (msg) { onFeedEvent(type, msg); });
      });
  }

  function onFeedEvent(type, msg) {
    var id = Number(msg.lastEventId);
    if (Number.isFinite(id)) {
      if (state.lastEventId !== null && id <= state.lastEventId) return; // never apply twice
      state.lastEventId = id;
      state.head = Math.max(state.head, id);
      renderVerify();
    }
    var event;
    try { event = JSON.parse(msg.data); } catch (e) { return; }
    var claimId = event.streamId && event.streamId.indexOf('claim-') === 0 ? event.streamId.slice(6) : null;

    if (type === 'VerificationStatusChanged' && claimId) {
      updateListBadge(claimId, event.data.to, event.recordedAt);
    }
    if (type === 'ClaimRecorded' && !state.claimId) noteNewClaim();
    if (claimId && claimId === state.claimId && !state.asOf) scheduleClaimRefresh();
  }

  function updateListBadge(claimId, status, at) {
    var row = document.querySelector('tr[data-claim-id="' + claimId + '"]');
    if (!row) return;
    var cell = row.querySelector('td.status');
    cell.textContent = '';
    var b = badge(status);
    b.classList.add('badge-flash');
    cell.appendChild(b);
    var updated = row.querySelector('td.updated');
    if (updated) updated.textContent = fmtDate(at);
  }

  /** Throttled: a burst of events for the open claim costs one reload, and a steady stream one per 250 ms. */
  function scheduleClaimRefresh() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(function () {
      state.refreshTimer = null;
      if (state.claimId && !state.asOf) loadClaim(state.claimId, null, true);
    }, 80);
  }

  function noteNewClaim() {
    // With only the first page on screen, reload it; deeper in, offer to.
    if (state.list.pages <= 1) {
      if (!state.listTimer) {
        state.listTimer = setTimeout(function () {
          state.listTimer = null;
          if (!state.claimId) loadList(false);
        }, 300);
      }
      return;
    }
    state.list.pendingNew++;
    $('new-items-text').textContent = state.list.pendingNew + ' new ' + (state.list.pendingNew === 1 ? 'entry' : 'entries') + ' in the ledger.';
    $('new-items').hidden = false;
  }

  // ---------------------------------------------------------------- list view

  function filtersFromHash(query) {
    var f = {};
    ['kind', 'status', 'speaker', 'q', 'topic'].forEach(function (k) {
      var v = query.get(k);
      if (v) f[k] = v;
    });
    return f;
  }

  function fillFilterForm(f) {
    $('f-kind').value = f.kind || '';
    $('f-status').value = f.status || '';
    $('f-speaker').value = f.speaker || '';
    $('f-q').value = f.q || '';
    $('f-topic').value = f.topic || '';
  }

  function listQuery(cursor) {
    var p = new URLSearchParams();
    var f = state.list.filters;
    Object.keys(f).forEach(function (k) { p.set(k, f[k]); });
    p.set('limit', String(PAGE));
    if (cursor) p.set('cursor', cursor);
    return '/api/claims?' + p.toString();
  }

  function loadList(more) {
    if (state.list.loading) return Promise.resolve();
    state.list.loading = true;
    var cursor = more ? state.list.cursor : null;
    return api(listQuery(cursor)).then(function (page) {
      var body = $('claims-body');
      if (!more) {
        body.textContent = '';
        state.list.pages = 0;
        state.list.pendingNew = 0;
        $('new-items').hidden = true;
      }
      page.items.forEach(function (item) { body.appendChild(listRow(item)); });
      state.list.pages++;
      state.list.cursor = page.nextCursor;
      $('more').hidden = !page.nextCursor;
      var count = body.children.length;
      $('list-empty').hidden = count > 0;
      $('list-summary').textContent = count + (page.nextCursor ? '+' : '') + (count === 1 ? ' entry' : ' entries') +
        (Object.keys(state.list.filters).length ? ' matching the filters' : '');
      showError(null);
    }, function (err) {
      if (err.status !== 401 && err.status !== 403) showError('Could not load claims: ' + err.message);
    }).then(function () { state.list.loading = false; });
  }

  function listRow(item) {
    return h('tr', { 'data-claim-id': item.id },
      h('td', { class: 'status' }, badge(item.status)),
      h('td', { class: 'nowrap' }, h('span', { class: 'kind', text: item.kind })),
      h('td', { class: 'statement' }, h('a', { class: 'statement-link', href: '#/claims/' + item.id, text: item.statement })),
      h('td', null, item.speaker ? item.speaker.name : '—',
        item.speaker && item.speaker.affiliation ? h('div', { class: 'muted', text: item.speaker.affiliation }) : null),
      h('td', { class: 'nowrap' }, fmtDate(item.madeAt)),
      h('td', { class: 'nowrap updated' }, fmtDate(item.updatedAt)));
  }

  function setupFilters() {
    $('filters').addEventListener('submit', function (e) {
      e.preventDefault();
      var p = new URLSearchParams();
      ['kind', 'status', 'speaker', 'q', 'topic'].forEach(function (k) {
        var v = $('f-' + k).value.trim();
        if (v) p.set(k, v);
      });
      var qs = p.toString();
      location.hash = '#/' + (qs ? '?' + qs : '');
    });
    $('f-reset').addEventListener('click', function () { location.hash = '#/'; });
    $('more').addEventListener('click', function () { loadList(true); });
    $('new-items-show').addEventListener('click', function () { loadList(false); });
  }

  // ---------------------------------------------------------------- claim view

  function loadClaim(id, asOf, quiet) {
    var q = asOf ? '?asOf=' + encodeURIComponent(asOf) : '';
    var view = $('claim-view');
    if (!quiet) {
      view.textContent = '';
      view.appendChild(h('p', { class: 'muted', text: 'Loading…' }));
    }
    var wanted = id + '|' + (asOf || '');
    state.loadingClaim = wanted;
    return Promise.all([
      api('/api/claims/' + id + q),
      api('/api/claims/' + id + '/timeline' + q).catch(function () { return { points: [] }; }),
    ]).then(function (r) {
      if (state.loadingClaim !== wanted) return; // the reader moved on meanwhile
      var claim = r[0];
      state.claim = claim;
      renderClaim(claim, r[1].points || [], asOf, r[1].world || []);
      showError(null);
      if (claim.status !== 'unverified' || claim.publishedReview) loadReview(id, claim);
      loadReviewHistory(id, claim);
    }, function (err) {
      if (state.loadingClaim !== wanted) return;
      view.textContent = '';
      view.appendChild(h('a', { class: 'back', href: state.listHash || '#/', text: '← All claims' }));
      if (err.status === 404 && asOf) {
        view.appendChild(h('h1', { text: 'Not recorded yet' }));
        view.appendChild(h('p', { text: 'The ledger had no record of this claim at ' + fmtDate(asOf, true) + '.' }));
        view.appendChild(asOfPanel(asOf));
      } else if (err.status !== 401 && err.status !== 403) {
        view.appendChild(h('p', { class: 'error', text: 'Could not load the claim: ' + err.message }));
      }
    });
  }

  function loadReview(id, claim) {
    api('/api/claims/' + id + '/claim-review').then(function (review) {
      var box = $('review-box');
      if (!box || state.claim !== claim) return;
      var lg = review.claimLedger || {};
      box.textContent = '';
      box.appendChild(h('h2', { text: 'Published rating' }));
      box.appendChild(h('p', null, 'schema.org ClaimReview: ',
        h('strong', { text: review.reviewRating.ratingValue === undefined ? 'unrated' : review.reviewRating.ratingValue + ' / ' + review.reviewRating.bestRating }),
        ' (' + review.reviewRating.alternateName + '), published ' + fmtDate(review.datePublished) + ' by ' + review.author.name + '.'));
      box.appendChild(h('p', { class: 'muted' }, 'Rests on ledger event #' + lg.position + ': ',
        h('span', { class: 'hash', text: lg.hash || '' })));
      if (review.reviewBody) box.appendChild(h('p', { class: 'review-body', text: review.reviewBody }));
      box.hidden = false;
    }, function () { /* 409 while unrated: nothing to show */ });
  }

  // Workflow v1 (issue 14): the editor's rating beside the machine status, and the review history.
  function ratingBadge(rating) {
    return h('span', { class: 'badge badge-' + rating + ' badge-editor', 'data-rating': rating, text: rating });
  }

  function editorRating(c) {
    if (!c.publishedReview) return null;
    return h('span', { class: 'editor-rating', id: 'editor-rating', title: 'Approved by ' + c.publishedReview.approvedBy + ', proposed by ' + c.publishedReview.proposedBy },
      h('span', { class: 'muted', text: 'editor: ' }), ratingBadge(c.publishedReview.rating),
      c.reviewOutdated ? h('span', { class: 'needs-review', id: 'needs-review', text: 'needs re-review' }) : null);
  }

  function loadReviewHistory(id, claim) {
    api('/api/claims/' + id + '/reviews').then(function (page) {
      var box = $('reviews-box');
      if (!box || state.claim !== claim) return;
      box.textContent = '';
      box.appendChild(h('h2', { id: 'reviews-title', text: 'Editorial reviews (' + page.items.length + ')' }));
      if (page.items.length === 0) {
        box.appendChild(h('p', { class: 'muted', text: 'No review yet: an editor proposes a rating, a second editor approves it.' }));
      } else {
        box.appendChild(h('ol', { class: 'reviews' }, page.items.map(function (r) {
          return h('li', { 'data-review-id': r.reviewId, 'data-state': r.state },
            ratingBadge(r.rating), ' ', h('strong', { text: r.state }),
            h('div', { class: 'muted', text: 'proposed by ' + r.proposedBy + ' ' + fmtDate(r.proposedAt, true) + ' at version ' + r.claimVersion + ' (machine: ' + r.machineStatus + ')' }),
            r.decidedBy ? h('div', { class: 'muted', text: r.state + ' by ' + r.decidedBy + ' ' + fmtDate(r.decidedAt, true) + (r.comment ? ': ' + r.comment : '') }) : null,
            h('p', { text: r.explanation }));
        })));
      }
      box.hidden = false;
    }, function () { /* viewers without access, or an older server: nothing to show */ });
  }

  function renderClaim(c, points, asOf, world) {
    var view = $('claim-view');
    var lastChange = c.statusHistory[c.statusHistory.length - 1];
    view.textContent = '';
    view.appendChild(h('a', { class: 'back', href: state.listHash || '#/', text: '← All claims' }));
    if (asOf) {
      view.appendChild(h('div', { class: 'asof-banner', role: 'note' },
        h('strong', { text: 'As of ' + fmtDate(asOf, true) + ': ' }),
        'the claim as the ledger knew it then. Live updates are paused. ',
        h('a', { href: '#/claims/' + c.id, text: 'Back to now' })));
    }

    view.appendChild(h('div', { class: 'claim-head' },
      h('div', { class: 'verdict-row' },
        h('span', { id: 'claim-status' }, badge(c.status, true)),
        editorRating(c),
        h('span', { class: 'kind', text: c.kind }),
        h('span', { class: 'muted', text: 'since ' + fmtDate(lastChange.at, true) })),
      h('h1', { id: 'claim-title', text: c.kind === 'claim' ? '“' + c.statement + '”' : c.statement }),
      h('div', { class: 'claim-meta' },
        h('span', null, h('strong', { text: c.speaker.name }), c.speaker.affiliation ? ', ' + c.speaker.affiliation : ''),
        h('span', null, 'made ' + fmtDate(c.madeAt)),
        h('span', null, 'source: ', sourceLink(c.source)),
        h('span', null, 'recorded ' + fmtDate(c.recordedAt)),
        c.topics && c.topics.length ? h('span', null, c.topics.map(function (t) { return h('span', { class: 'tag', text: t }); })) : null)));

    var main = h('div');
    var side = h('div');
    view.appendChild(h('div', { class: 'grid' }, main, side));

    // Timeline chart: ledger time (when recorded) or world time (when observed), a toggle.
    var chartBox = h('div', { id: 'chart-box' });
    var timeButtons = {};
    function drawChart() {
      state.chartTime = state.chartTime === 'world' ? 'world' : 'ledger';
      chartBox.textContent = '';
      chartBox.appendChild(timelineChart(points, asOf, world, state.chartTime));
      Object.keys(timeButtons).forEach(function (k) { timeButtons[k].setAttribute('aria-pressed', String(k === state.chartTime)); });
    }
    ['ledger', 'world'].forEach(function (mode) {
      timeButtons[mode] = h('button', { type: 'button', id: 'chart-time-' + mode, class: 'chart-time', text: mode === 'ledger' ? 'Ledger time' : 'World time',
        title: mode === 'ledger' ? 'When each event was recorded in the ledger' : 'When things happened: the claim made, the evidence observed' });
      timeButtons[mode].addEventListener('click', function () { state.chartTime = mode; drawChart(); });
    });
    drawChart();
    main.appendChild(h('section', { class: 'panel', 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title', text: 'Weight of evidence over time' }),
      h('div', { class: 'chart-time-toggle', role: 'group', 'aria-label': 'Time axis' }, timeButtons.ledger, timeButtons.world),
      chartBox,
      h('div', { class: 'legend' },
        h('span', { class: 'key-support', text: 'support (S)' }),
        h('span', { class: 'key-contradict', text: 'contradiction (X)' }),
        h('span', { class: 'key-status', text: 'status change' }))));

    // Evidence
    var evSection = h('section', { class: 'panel', 'aria-labelledby': 'evidence-title' },
      h('h2', { id: 'evidence-title', text: 'Evidence (' + c.evidence.length + ')' }));
    if (c.evidence.length === 0) {
      evSection.appendChild(h('p', { class: 'muted', text: c.kind === 'pledge'
        ? 'No evidence yet. Field reports that match the pledge’s scope are attached automatically.'
        : 'No evidence yet.' }));
    } else {
      var basis = {};
      (c.verdict.basis || []).forEach(function (id) { basis[id] = true; });
      evSection.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'evidence' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', text: 'Stance' }), h('th', { scope: 'col', text: 'Grade' }),
          h('th', { scope: 'col', text: 'Weight' }), h('th', { scope: 'col', text: 'Summary' }),
          h('th', { scope: 'col', text: 'Source' }), h('th', { scope: 'col', text: 'Observed' }),
          h('th', { scope: 'col', text: 'State' }))),
        h('tbody', null, c.evidence.map(function (ev) {
          var inactive = ev.retracted || ev.attached === false;
          return h('tr', { class: inactive ? 'retracted' : '', 'data-evidence-id': ev.evidenceId },
            h('td', null, h('span', { class: 'stance stance-' + ev.stance, text: ev.stance })),
            h('td', null, grade(ev)),
            h('td', { text: weightOf(ev).toFixed(2) }),
            h('td', { text: ev.summary }),
            h('td', null, sourceLink(ev.source)),
            h('td', { class: 'nowrap', text: fmtDate(ev.observedAt) }),
            h('td', { class: 'ev-state' },
              ev.retracted ? 'retracted' : ev.attached === false ? 'detached' : basis[ev.evidenceId] ? 'counts' : 'same publisher, lighter',
              h('div', { class: 'muted', text: 'by ' + ev.attachedBy })));
        })))));
    }
    main.appendChild(evSection);
    main.appendChild(h('section', { class: 'panel', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title', text: 'Status history' }),
      h('ol', { class: 'history' }, c.statusHistory.slice().reverse().map(function (st) {
        return h('li', null, badge(st.status), h('span', { text: fmtDate(st.at, true) }), h('span', { class: 'muted', text: 'ledger #' + st.position }));
      }))));

    // Side: verdict, as-of, history, scope, review
    side.appendChild(h('section', { class: 'panel', 'aria-labelledby': 'verdict-title' },
      h('h2', { id: 'verdict-title', text: 'Verdict' }),
      h('dl', { class: 'numbers' },
        h('dt', { text: 'Status' }), h('dd', { text: c.status }),
        h('dt', { text: 'Support S' }), h('dd', { text: String(c.verdict.support) }),
        h('dt', { text: 'Contradiction X' }), h('dd', { text: String(c.verdict.contradict) }),
        h('dt', { text: 'Counted pieces' }), h('dd', { text: String((c.verdict.basis || []).length) }),
        h('dt', { text: 'Rule' }), h('dd', null, h('code', { text: c.verdict.rule }), c.verdict.reason ? h('div', { class: 'muted', text: c.verdict.reason }) : null),
        h('dt', { text: 'Version' }), h('dd', { text: String(c.version) }))));
    side.appendChild(asOfPanel(asOf, c));
    if (c.scope) side.appendChild(scopePanel(c.scope));
    side.appendChild(h('section', { class: 'panel', id: 'review-box', hidden: true }));
    side.appendChild(h('section', { class: 'panel', id: 'reviews-box', 'aria-labelledby': 'reviews-title', hidden: true }));
  }

  function scopePanel(scope) {
    return h('section', { class: 'panel', 'aria-labelledby': 'scope-title' },
      h('h2', { id: 'scope-title', text: 'Pledge scope' }),
      h('dl', { class: 'numbers' },
        h('dt', { text: 'Expectation' }), h('dd', { text: scope.expectation === 'absence' ? 'absence of' : 'presence of' }),
        h('dt', { text: 'Indicators' }), h('dd', null, scope.indicators.map(function (i) { return h('span', { class: 'tag', text: i }); })),
        h('dt', { text: 'Places' }), h('dd', null, scope.places.map(function (p) {
          return h('span', { class: 'tag', text: p.name + (p.radiusKm !== undefined ? ' (' + p.radiusKm + ' km)' : '') });
        })),
        h('dt', { text: 'From' }), h('dd', { text: fmtDate(scope.from) }),
        h('dt', { text: 'Until' }), h('dd', { text: scope.until ? fmtDate(scope.until) : 'open-ended' })));
  }

  function asOfPanel(asOf, claim) {
    var input = h('input', { id: 'asof-input', type: 'datetime-local', step: '1', name: 'asOf' });
    if (asOf) input.value = toLocalInput(new Date(asOf));
    var form = h('form', { class: 'asof', 'aria-label': 'Show the claim as of a date' },
      h('div', { class: 'field' }, h('label', { for: 'asof-input', text: 'Show as of' }), input),
      h('button', { class: 'button-primary', type: 'submit', text: 'Show' }),
      h('button', { type: 'button', id: 'asof-now', text: 'Now', onclick: function () {
        location.hash = '#/claims/' + state.claimId;
      } }));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!input.value) return;
      var d = new Date(input.value); // local time, as the picker shows it
      if (isNaN(d.getTime())) return;
      location.hash = '#/claims/' + state.claimId + '?asOf=' + encodeURIComponent(d.toISOString());
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'asof-title' },
      h('h2', { id: 'asof-title', text: 'As of' }),
      h('p', { class: 'muted', text: 'See the claim as the ledger recorded it at an earlier time.' }),
      form,
      claim ? h('p', { class: 'muted', text: 'Recorded ' + fmtDate(claim.recordedAt, true) + '.' }) : null);
  }

  // ---------------------------------------------------------------- timeline chart (inline SVG)

  /**
   * The chart in ledger time (each event at its recordedAt; the lines are the weights after each
   * event) or world time (the claim at madeAt, each piece of evidence attached now at its
   * observedAt, the lines the weights of what had been observed by then; status changes at the
   * latest observation they rest on).
   */
  function timelineChart(points, asOf, world, mode) {
    var W = 720, H = 240, L = 44, R = 16, B = 34;
    var worldTime = mode === 'world';
    var recorded = points.filter(function (p) { return p.type === 'ClaimRecorded'; })[0];
    if (!points.length) return h('p', { class: 'muted', text: 'Nothing recorded yet.' });
    if (worldTime && !recorded) return h('p', { class: 'muted', text: 'Nothing observed yet.' });
    // The series drawn: [{t, support, contradict, dot?}] in time order.
    var series, changes;
    if (worldTime) {
      series = [{ t: Date.parse(recorded.observedAt), support: 0, contradict: 0 }].concat((world || []).map(function (w) {
        return { t: Date.parse(w.observedAt), support: w.support, contradict: w.contradict, dot: { stance: w.stance, label: w.stance + ' evidence observed ' + fmtDate(w.observedAt, true), iso: w.observedAt, id: w.evidenceId } };
      }));
      changes = points.filter(function (p) { return p.statusChange && p.observedAt; })
        .map(function (p) { return { t: Date.parse(p.observedAt), to: p.statusChange.to, iso: p.observedAt }; });
    } else {
      series = points.map(function (p) {
        var attach = p.type === 'EvidenceAttached' || p.type === 'EvidenceDetached';
        return { t: Date.parse(p.at), support: p.support, contradict: p.contradict,
          dot: attach ? { stance: p.stance, label: (p.type === 'EvidenceAttached' ? 'attached ' : 'detached ') + p.stance + ' evidence, ' + fmtDate(p.at, true), iso: p.at, id: p.evidenceId } : null };
      });
      changes = points.filter(function (p) { return p.statusChange; }).map(function (p) { return { t: Date.parse(p.at), to: p.statusChange.to, iso: p.at }; });
    }
    series.sort(function (a, b) { return a.t - b.t; });
    changes.sort(function (a, b) { return a.t - b.t; });
    var t0 = series[0].t;
    var tLast = Math.max(series[series.length - 1].t, changes.length ? changes[changes.length - 1].t : t0);
    var tEnd = worldTime ? tLast : asOf ? Date.parse(asOf) : Date.now();
    var t1 = Math.max(tEnd, tLast);
    if (t1 - t0 < 1000) t1 = t0 + 1000;
    var maxW = 1;
    series.forEach(function (p) { maxW = Math.max(maxW, p.support, p.contradict); });
    maxW = Math.ceil(maxW * 1.15 * 2) / 2;
    var x = function (t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); };

    // Status-change labels, laid out before anything else: a label goes in the lowest row where it
    // does not overlap the labels already there; the plot starts below the rows used.
    var ROW = 13, GAP = 6;
    var widths = measureLabels(changes.map(function (c) { return c.to; }));
    var rowsEnd = [];
    var labels = changes.map(function (c, i) {
      var px = x(c.t);
      var w = widths[i];
      var left = px + 4 + w > W - 2 ? px - 4 - w : px + 4;
      var row = 0;
      while (rowsEnd[row] !== undefined && rowsEnd[row] + GAP > left) row++;
      rowsEnd[row] = left + w;
      return { px: px, left: left, width: w, row: row, text: c.to, iso: c.iso };
    });
    var rows = Math.max(1, rowsEnd.length);
    var T = 14 + rows * ROW;
    H = 206 + rows * ROW;
    var y = function (v) { return T + (1 - v / maxW) * (H - T - B); };

    var title = 'Support and contradiction weight over ' + (worldTime ? 'world time (when observed)' : 'ledger time (when recorded)');
    var now = series[series.length - 1];
    var desc = changes.length
      ? 'Status changes: ' + changes.map(function (c) { return c.to + ' at ' + fmtDate(c.iso, true); }).join('; ') + '. Now S = ' + now.support + ', X = ' + now.contradict + '.'
      : 'No evidence has changed the status yet.';
    var svg = s('svg', { class: 'chart', 'data-time': worldTime ? 'world' : 'ledger', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'chart-svg-title chart-svg-desc' },
      s('title', { id: 'chart-svg-title', text: title }),
      s('desc', { id: 'chart-svg-desc', text: desc }));

    // grid and y ticks
    var step = maxW <= 2 ? 0.5 : maxW <= 5 ? 1 : Math.ceil(maxW / 5);
    for (var v = 0; v <= maxW + 1e-9; v += step) {
      svg.appendChild(s('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      svg.appendChild(s('text', { class: 'tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end', text: String(Math.round(v * 10) / 10) }));
    }
    svg.appendChild(s('line', { class: 'axis', x1: L, x2: W - R, y1: y(0), y2: y(0) }));
    svg.appendChild(s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: y(0) }));
    // x ticks: start, middle, end (data-t: the time each stands for)
    var span = t1 - t0;
    var tickFmt = span < 120000
      ? new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : span < 2 * 86400000
        ? new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
        : new Intl.DateTimeFormat(undefined, { year: span > 300 * 86400000 ? 'numeric' : undefined, month: 'short', day: 'numeric' });
    [0, 0.5, 1].forEach(function (f) {
      var t = t0 + f * span;
      svg.appendChild(s('text', { class: 'tick tick-x', 'data-t': new Date(t).toISOString(), x: x(t), y: H - 12, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle', text: tickFmt.format(new Date(t)) }));
    });

    // status change markers and their labels
    labels.forEach(function (l) {
      svg.appendChild(s('line', { class: 'status-line', x1: l.px, x2: l.px, y1: T - 4, y2: y(0) }));
      svg.appendChild(s('text', { class: 'status-label', 'data-t': l.iso, x: l.left, y: T - 8 - l.row * ROW, 'text-anchor': 'start', text: l.text }));
    });

    // step lines, carried on to the end of the window
    function stepPath(key) {
      var d = '';
      series.forEach(function (p, i) {
        var px = x(p.t).toFixed(1);
        var py = y(p[key]).toFixed(1);
        d += i === 0 ? 'M' + px + ' ' + py : ' H' + px + ' V' + py;
      });
      return d + ' H' + x(t1).toFixed(1);
    }
    svg.appendChild(s('path', { class: 'line-support', d: stepPath('support') }));
    svg.appendChild(s('path', { class: 'line-contradict', d: stepPath('contradict') }));
    series.forEach(function (p) {
      if (!p.dot) return;
      var key = p.dot.stance === 'supports' ? 'support' : 'contradict';
      svg.appendChild(s('circle', { class: p.dot.stance === 'supports' ? 'dot-support' : 'dot-contradict', 'data-t': p.dot.iso, 'data-evidence-id': p.dot.id || '', cx: x(p.t), cy: y(p[key]), r: 4 },
        s('title', { text: p.dot.label })));
    });
    if (asOf && !worldTime) {
      svg.appendChild(s('line', { class: 'asof-line', x1: x(tEnd), x2: x(tEnd), y1: T - 4, y2: y(0) }));
    }
    return svg;
  }

  /** Widths of status labels as the chart draws them (an off-screen chart measures the text). */
  function measureLabels(texts) {
    if (!texts.length) return [];
    var probe = s('svg', { class: 'chart', viewBox: '0 0 720 240' });
    // Through CSSOM: the CSP allows no style attributes. 720px wide: one unit per pixel.
    probe.style.position = 'absolute';
    probe.style.left = '-10000px';
    probe.style.top = '0';
    probe.style.width = '720px';
    probe.style.visibility = 'hidden';
    document.body.appendChild(probe);
    var widths = texts.map(function (t) {
      var el = s('text', { class: 'status-label', x: 0, y: 20, text: t });
      probe.appendChild(el);
      var w = el.getComputedTextLength ? el.getComputedTextLength() : 0;
      // No layout (a hidden document): a generous guess, 7 units per character at 11px bold.
      return w > 0 ? Math.ceil(w) : t.length * 7;
    });
    document.body.removeChild(probe);
    return widths;
  }

  // ---------------------------------------------------------------- routing

  function route() {
    var hash = location.hash || '#/';
    var qIndex = hash.indexOf('?');
    var path = qIndex >= 0 ? hash.slice(1, qIndex) : hash.slice(1);
    var query = new URLSearchParams(qIndex >= 0 ? hash.slice(qIndex + 1) : '');
    var m = /^\/claims\/([0-9a-fA-F-]{36})$/.exec(path);
    if (m) {
      state.claimId = m[1].toLowerCase();
      state.asOf = query.get('asOf');
      $('list-view').hidden = true;
      $('claim-view').hidden = false;
      document.title = 'Claim · claim-ledger';
      loadClaim(state.claimId, state.asOf, false);
    } else {
      state.listHash = hash;
      state.claimId = null;
      state.asOf = null;
      state.claim = null;
      $('claim-view').hidden = true;
      $('claim-view').textContent = '';
      $('list-view').hidden = false;
      document.title = 'claim-ledger · dashboard';
      state.list.filters = filtersFromHash(query);
      fillFilterForm(state.list.filters);
      loadList(false);
    }
  }

  /** (Re)start after a key change: verify, connect the live feed, show the current route. */
  function restart() {
    showError(null);
    state.lastEventId = null;
    verifyLedger().then(connectFeed, function () {
      if (!$('key-dialog').open) connectFeed();
    });
    route();
  }

  function init() {
    setupKeyDialog();
    setupFilters();
    $('verify').addEventListener('click', function () { verifyLedger().catch(function () {}); });
    window.addEventListener('hashchange', route);
    restart();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
