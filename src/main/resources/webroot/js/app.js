// The shell: hash routes to pages, one Server-Sent Events stream for the whole tab, the token button.
// Pages are modules exporting create(main, route) → {load(), event(type, data), leave()}.
import {put} from './dom.js';
import {token} from './api.js';
import {askToken, toast} from './ui.js';
import {parseRoute as parse} from './route.js';
import * as watches from './pages/watches.js';
import * as transfers from './pages/transfers.js';
import * as inventory from './pages/inventory.js';
import * as allowlist from './pages/allowlist.js';
import * as node from './pages/node.js';

const PAGES = {watches, transfers, inventory, allowlist, node};
const TITLES = {watches: 'Watches', transfers: 'Transfers', inventory: 'Inventory', allowlist: 'Allow-list', node: 'Node'};
/** Fallback when the stream is down: re-read the page at most this often (never faster than 5 s). */
const POLL_MS = 15000;

const main = document.getElementById('main');
const live = document.getElementById('live');
let current = null;
let currentKey = '';
let loading = null;
let reloadAgain = false;

/** Loads the page's data; a load asked for while one runs runs once more afterwards (nothing is missed). */
function reload() {
  if (!current) return;
  if (loading) {
    reloadAgain = true;
    return;
  }
  const page = current;
  loading = Promise.resolve().then(() => page.load()).then(() => {
    if (page !== current) return;
    main.setAttribute('aria-busy', 'false');
    main.dataset.ready = parseRoute().page;
  }, (e) => {
    if (page !== current) return;
    main.setAttribute('aria-busy', 'false');
    toast(`Could not load: ${e.message}`, 'error');
    main.dataset.ready = parseRoute().page;
  }).finally(() => {
    loading = null;
    if (reloadAgain) {
      reloadAgain = false;
      reload();
    }
  });
}

const parseRoute = () => parse(PAGES);

function route() {
  const key = location.hash.split('?')[0];
  if (current && key === currentKey) return; // only the query changed
  currentKey = key;
  current?.leave?.();
  const r = parseRoute();
  document.title = `${TITLES[r.page]} · Tugboat`;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === r.page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  delete main.dataset.ready;
  main.setAttribute('aria-busy', 'true');
  put(main);
  current = PAGES[r.page].create(main, r);
  reload();
}

// ---- the event stream: snapshot → reload, facts → the page decides what to re-read
let stream = null;
let lastOpen = 0;

function setLive(state, text) {
  live.dataset.state = state;
  live.textContent = text;
}

function connect() {
  stream = new EventSource('/api/v1/events');
  stream.addEventListener('open', () => {
    lastOpen = Date.now();
    setLive('live', 'live');
  });
  stream.addEventListener('error', () => setLive('down', stream.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting…'));
  stream.addEventListener('snapshot', (e) => {
    setLive('live', 'live');
    // read again from the moment the stream is open: a change just before it connected is not missed
    reload();
  });
  for (const type of ['watch', 'deployment', 'transfer']) {
    stream.addEventListener(type, (e) => {
      try {
        current?.event?.(type, JSON.parse(e.data));
      } catch (err) {
        console.warn('event not applied', type, err);
      }
    });
  }
}

setInterval(() => {
  if (!stream || stream.readyState !== EventSource.OPEN) {
    setLive('down', 'polling');
    reload();
  }
}, POLL_MS);

// ---- the token button: set or forget the tab's token (it is never shown)
const tokenButton = document.getElementById('token-button');
function showToken() {
  tokenButton.textContent = token.get() ? 'Forget token' : 'Set token';
  tokenButton.setAttribute('aria-label', token.get() ? 'Forget the bearer token of this tab' : 'Set a bearer token for this tab');
}
tokenButton.addEventListener('click', async () => {
  if (token.get()) {
    token.forget();
    toast('Token forgotten for this tab');
  } else {
    const t = await askToken('The token is kept in this tab only (sessionStorage) and sent as Authorization: Bearer.');
    if (t) {
      token.set(t);
      toast('Token set for this tab');
    }
  }
  showToken();
});
document.addEventListener('tugboat:token', showToken);

window.addEventListener('hashchange', route);
showToken();
connect();
route();
