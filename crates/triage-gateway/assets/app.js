// triage crisis desk. Every piece of post data is put in the page with textContent / setAttribute on
// elements created here, NEVER with innerHTML: posts come from anyone on the internet.
'use strict';

(function () {
  const CLASSES = ['offer', 'request', 'missing', 'support', 'info', 'noise'];
  const LABELS = { offer: 'Offers', request: 'Requests', missing: 'Missing', support: 'Support', info: 'Info', noise: 'Noise' };
  const MAX_CARDS = 300;
  const BACKLOG = 50;
  const COLORS = { offer: '#1f8a4c', handled: '#6b7280' };

  const state = {
    config: null,
    // ONE EventSource for every column: a browser holds at most 6 HTTP/1.1 connections per host, and one
    // stream per column (six with noise) would leave none for the page's other requests.
    source: null,
    streamed: [],
    // The id of the last feed event handled: a reconnect with another class list resumes after it.
    lastEventId: null,
    error: false,
    map: null,
    offersLayer: null,
    token: sessionStorage.getItem('triage-token') || '',
    offersTimer: null,
  };

  // ---- small DOM helpers (text only) ----
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Only http(s) links: a `javascript:` URL in a post would run on click.
  function safeUrl(u) {
    if (typeof u !== 'string') return null;
    try {
      const p = new URL(u, window.location.href);
      return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : null;
    } catch (_) {
      return null;
    }
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function authHeaders() {
    return state.token ? { Authorization: 'Bearer ' + state.token } : {};
  }

  // "live · n/n feeds": n columns, all carried by the one stream.
  function setStatus() {
    const status = document.getElementById('status');
    const total = state.streamed.length;
    const open = state.source && state.source.readyState === 1 ? total : 0;
    if (state.error) {
      status.textContent = 'reconnecting… (' + open + '/' + total + ' live)';
      status.className = 'status err';
    } else if (open === total && total > 0) {
      status.textContent = 'live · ' + open + '/' + total + ' feeds';
      status.className = 'status ok';
    } else {
      status.textContent = 'connecting… (' + open + '/' + total + ' feeds)';
      status.className = 'status';
    }
  }

  // ---- columns ----
  function buildColumns() {
    const root = document.getElementById('columns');
    for (const cls of CLASSES) {
      const col = el('section', 'column');
      col.id = 'col-' + cls;
      col.dataset.class = cls;
      const h = el('h2');
      h.appendChild(el('span', 'title', LABELS[cls]));
      const count = el('span', 'count', '0');
      count.id = 'count-' + cls;
      h.appendChild(count);
      col.appendChild(h);
      const cards = el('div', 'cards');
      cards.appendChild(el('p', 'empty', 'waiting for posts…'));
      col.appendChild(cards);
      if (cls === 'noise') col.hidden = true;
      root.appendChild(col);
    }
  }

  function cardsOf(cls) {
    return document.querySelector('#col-' + cls + ' .cards');
  }

  function findCard(cls, id) {
    for (const c of cardsOf(cls).children) if (c.dataset && c.dataset.id === id) return c;
    return null;
  }

  function updateCount(cls) {
    document.getElementById('count-' + cls).textContent = String(cardsOf(cls).querySelectorAll('.post').length);
  }

  function renderCard(cls, p) {
    const card = el('article', 'post');
    card.dataset.id = p.id;
    card.dataset.class = cls;
    if (p.needs_review) card.classList.add('review');
    if (p.handled) card.classList.add('handled');

    const meta = el('div', 'meta');
    meta.appendChild(el('span', 'author', p.author && (p.author.name || p.author.handle)));
    meta.appendChild(el('span', 'time', fmtTime(p.edited_at || p.created_at)));
    meta.appendChild(el('span', 'lang', p.lang));
    meta.appendChild(el('span', 'source', p.source));
    if (p.repost_count > 1) meta.appendChild(el('span', 'reposts', '×' + p.repost_count));
    if (p.needs_review) meta.appendChild(el('span', 'badge', 'needs review'));
    card.appendChild(meta);

    card.appendChild(el('p', 'post-text', p.text));

    const conf = el('div', 'conf');
    const pct = Math.round((Number(p.confidence) || 0) * 100);
    conf.appendChild(el('span', 'confidence', 'confidence ' + pct + '%'));
    const bar = el('span', 'bar');
    const fill = el('span');
    fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
    bar.appendChild(fill);
    conf.appendChild(bar);
    card.appendChild(conf);

    if (Array.isArray(p.places) && p.places.length) {
      const places = el('div', 'places');
      for (const pl of p.places) {
        const s = el('span', null, pl.name);
        s.title = pl.kind + ', ±' + pl.precision_m + ' m';
        places.appendChild(s);
      }
      card.appendChild(places);
    }
    if (Array.isArray(p.reasons) && p.reasons.length) {
      const reasons = el('div', 'reasons');
      reasons.title = 'why the classifier decided';
      for (const r of p.reasons) reasons.appendChild(el('span', null, r));
      card.appendChild(reasons);
    }

    const foot = el('footer');
    const href = safeUrl(p.url);
    if (href) {
      const a = el('a', null, 'open post');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      foot.appendChild(a);
    } else {
      foot.appendChild(el('span'));
    }
    const btn = el('button', 'handle-btn', p.handled ? '✓ handled' : 'mark as handled');
    btn.type = 'button';
    btn.addEventListener('click', () => toggleHandled(cls, p.id, card));
    foot.appendChild(btn);
    card.appendChild(foot);
    return card;
  }

  function upsert(cls, p) {
    const cards = cardsOf(cls);
    const empty = cards.querySelector('.empty');
    if (empty) empty.remove();
    const card = renderCard(cls, p);
    const old = findCard(cls, p.id);
    if (old) {
      old.replaceWith(card);
    } else {
      card.classList.add('fresh');
      cards.insertBefore(card, cards.firstChild);
      while (cards.children.length > MAX_CARDS) cards.removeChild(cards.lastChild);
    }
    updateCount(cls);
  }

  function retract(cls, id) {
    const card = findCard(cls, id);
    if (card) card.remove();
    const cards = cardsOf(cls);
    if (!cards.querySelector('.post') && !cards.querySelector('.empty')) cards.appendChild(el('p', 'empty', 'no posts'));
    updateCount(cls);
  }

  function markHandled(cls, id, handled) {
    const card = findCard(cls, id);
    if (!card) return;
    card.classList.toggle('handled', !!handled);
    const btn = card.querySelector('.handle-btn');
    if (btn) btn.textContent = handled ? '✓ handled' : 'mark as handled';
  }

  async function toggleHandled(cls, id, card) {
    const handled = !card.classList.contains('handled');
    try {
      const r = await fetch('/api/handled/' + encodeURIComponent(id), {
        method: handled ? 'POST' : 'DELETE',
        headers: authHeaders(),
      });
      if (r.status === 401 || r.status === 503) {
        document.getElementById('status').textContent = 'a valid token is needed to mark posts';
        document.getElementById('status').className = 'status err';
        return;
      }
      if (!r.ok) return;
      const body = await r.json();
      markHandled(cls, id, body.handled);
    } catch (_) {
      /* the feed's own "handled" event will fix the view when the network is back */
    }
  }

  // ---- feeds ----
  function filterParams() {
    const params = new URLSearchParams();
    const lang = document.getElementById('f-lang').value.trim();
    const conf = Number(document.getElementById('f-conf').value);
    const q = document.getElementById('f-q').value.trim();
    if (lang) params.set('lang', lang);
    if (conf > 0) params.set('min_confidence', String(conf / 100));
    if (q) params.set('q', q);
    return params;
  }

  function clearColumn(cls) {
    cardsOf(cls).replaceChildren(el('p', 'empty', 'waiting for posts…'));
    updateCount(cls);
  }

  // The class of a feed event, if it is one of our columns.
  function classOf(data) {
    return data && CLASSES.includes(data.class) ? data.class : null;
  }

  function onFeedEvent(kind, ev) {
    if (ev.lastEventId) state.lastEventId = ev.lastEventId;
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch (_) {
      return; /* a malformed event must not stop the feed */
    }
    const cls = classOf(data);
    if (!cls || !state.streamed.includes(cls)) return;
    if (kind === 'record') upsert(cls, data);
    else if (kind === 'retract') retract(cls, data.id);
    else if (kind === 'handled') markHandled(cls, data.id, data.handled);
    if (cls === 'offer' && kind !== 'handled') scheduleOffers();
  }

  // (Re)opens the one stream for the visible columns. `fresh`: clear the columns and ask for each one's backlog
  // (first load, filters changed, a column added); otherwise resume after the last event seen, so the columns
  // kept lose nothing and get nothing twice.
  function connect(fresh) {
    if (state.source) {
      state.source.close();
      state.source = null;
    }
    const showNoise = document.getElementById('f-noise').checked;
    const classes = CLASSES.filter((c) => c !== 'noise' || showNoise);
    for (const cls of CLASSES) {
      if (fresh || !classes.includes(cls)) clearColumn(cls);
    }
    state.streamed = classes;
    const params = filterParams();
    params.set('classes', classes.join(','));
    if (fresh || state.lastEventId === null) {
      params.set('backlog', String(BACKLOG));
    } else {
      params.set('last_event_id', state.lastEventId);
    }
    const es = new EventSource('/api/feed?' + params.toString());
    for (const kind of ['record', 'retract', 'handled']) {
      es.addEventListener(kind, (ev) => {
        if (state.source === es) onFeedEvent(kind, ev);
      });
    }
    es.onopen = () => { state.error = false; setStatus(); };
    // EventSource reconnects by itself, sending Last-Event-ID: the gateway replays what was missed.
    es.onerror = () => { state.error = true; setStatus(); };
    state.source = es;
    state.error = false;
    setStatus();
  }

  function connectAll() {
    connect(true);
  }

  // ---- map ----
  function popupNode(props) {
    const box = el('div', 'popup');
    box.appendChild(el('h3', null, props.place + (props.capacity ? ' · ' + props.capacity + ' pers.' : '')));
    box.appendChild(el('p', null, props.text));
    box.appendChild(el('p', 'meta', fmtTime(props.time) + ' · ±' + props.precision_m + ' m · ' +
      Math.round(props.confidence * 100) + '% · ×' + props.repost_count));
    const href = safeUrl(props.url);
    if (href) {
      const a = el('a', null, 'open post');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      box.appendChild(a);
    }
    return box;
  }

  function initMap(cfg) {
    if (typeof L === 'undefined') return;
    // Canvas renderer: circle markers draw without any tile or image, so offers show even offline.
    state.map = L.map('map', { preferCanvas: true }).setView(cfg.map_center, cfg.map_zoom);
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.tiles_attribution }).addTo(state.map);
    } else {
      document.getElementById('tiles-note').textContent = ' · no map tiles configured (points only)';
    }
    state.offersLayer = L.geoJSON(null, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 7 + Math.min(6, Math.log2(1 + (f.properties.repost_count || 1))),
        color: '#ffffff', weight: 2, fillOpacity: 0.9,
        fillColor: f.properties.handled ? COLORS.handled : COLORS.offer,
      }),
      onEachFeature: (f, layer) => layer.bindPopup(() => popupNode(f.properties)),
    }).addTo(state.map);
  }

  async function loadOffers() {
    try {
      const r = await fetch('/api/offers.geojson');
      if (!r.ok) return;
      const data = await r.json();
      document.getElementById('offer-count').textContent = String(data.features.length);
      if (state.offersLayer) {
        state.offersLayer.clearLayers();
        state.offersLayer.addData(data);
      }
    } catch (_) { /* retried by the timer */ }
  }

  function scheduleOffers() {
    if (state.offersTimer) return;
    state.offersTimer = setTimeout(() => { state.offersTimer = null; loadOffers(); }, 400);
  }

  // ---- filters ----
  function wireFilters() {
    const conf = document.getElementById('f-conf');
    const out = document.getElementById('f-conf-out');
    let timer = null;
    const changed = () => {
      out.textContent = conf.value + '%';
      clearTimeout(timer);
      timer = setTimeout(connectAll, 300);
    };
    for (const id of ['f-lang', 'f-conf', 'f-q']) document.getElementById(id).addEventListener('input', changed);
    document.getElementById('f-noise').addEventListener('change', () => {
      const on = document.getElementById('f-noise').checked;
      document.getElementById('col-noise').hidden = !on;
      // Noise off: resume the other columns where they were. Noise on: its column needs its backlog, and a
      // resume only brings what comes after the last event seen, so start afresh.
      connect(on);
    });
    const token = document.getElementById('f-token');
    token.value = state.token;
    token.addEventListener('change', () => {
      state.token = token.value.trim();
      sessionStorage.setItem('triage-token', state.token);
    });
    document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  }

  async function start() {
    buildColumns();
    wireFilters();
    let cfg = { map_center: [48.8566, 2.3522], map_zoom: 12, tiles: '', tiles_attribution: '' };
    try {
      const r = await fetch('/api/config');
      if (r.ok) cfg = await r.json();
    } catch (_) { /* defaults */ }
    state.config = cfg;
    initMap(cfg);
    connectAll();
    await loadOffers();
    setInterval(loadOffers, 60000);
    document.body.dataset.ready = '1';
  }

  start();
})();
