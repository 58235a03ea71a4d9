// Watches: registrywatcher's dashboard — a card per watched repository with the tag picker, auto-deploy,
// Reset and Deploy/Redeploy — plus what it lacked: the deployed tag and digest (highlighted in the picker),
// the last deployments and their state live, feedback on every click, and buttons disabled while in flight.
import {badge, digest, fmt, h, put, uid} from '../dom.js';
import {get, path, send} from '../api.js';
import {busy, confirm, toast} from '../ui.js';
import {setQuery} from '../route.js';

const HISTORY = 5;
/** Changes to more cards than this at once are read with one list call instead of one call per card. */
const BULK = 20;

export function create(main, route) {
  const watches = new Map(); // name → watch JSON
  const history = new Map(); // name → deployments, newest first
  const cards = new Map(); // name → {el, sig, search}
  const picked = new Map(); // name → tag the user chose in the picker
  const applied = new Map(); // name → sequence number of the data shown (a late answer never overwrites a newer one)
  const notes = new Map(); // name → the card's result line, kept when the card is rebuilt
  const pending = new Map(); // name → actions in flight (their buttons stay disabled in a rebuilt card)
  const opened = new Set(); // names whose deployment list the user opened (kept open in a rebuilt card)
  const dirty = new Set();
  let sequence = 0;
  let flushTimer = null;
  let left = false;

  const search = h('input', {type: 'search', id: 'watch-search', placeholder: 'Repository, job or tag',
    value: route.query.get('q') || '', autocomplete: 'off'});
  const count = h('p', {class: 'muted', id: 'watch-count', role: 'status', 'aria-live': 'polite'});
  const grid = h('div', {class: 'cards', id: 'watch-cards'});
  const empty = h('p', {class: 'empty', hidden: true, text: 'No repository is watched yet.'});

  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      setQuery({q: search.value.trim()});
      filter();
    }, 120);
  });

  put(main,
    h('hgroup', {}, h('h1', {text: 'Watches'}), h('p', {text: 'Watched repositories, what Nomad runs, and deployments.'})),
    h('div', {class: 'toolbar', role: 'search'},
      h('label', {for: 'watch-search', text: 'Search'}), search, count),
    addForm(() => load()),
    empty, grid);

  function filter() {
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    for (const card of cards.values()) {
      const match = !q || card.search.includes(q);
      card.el.hidden = !match;
      if (match) shown++;
    }
    count.textContent = q ? `${shown} of ${cards.size} watches` : `${cards.size} watches`;
  }

  /** Shows one watch: the card is rebuilt only when its data changed, and keeps the user's tag choice. */
  function show(name, seq) {
    const w = watches.get(name);
    if (!w) {
      cards.get(name)?.el.remove();
      cards.delete(name);
      return;
    }
    const deployments = history.get(name) || [];
    const sig = signature(name);
    const old = cards.get(name);
    if (old && old.sig === sig) { // a check that saw nothing new: only its time changes, the card stays
      old.el.querySelector('.checked-at').textContent = fmt.ago(w.checked_at);
      return;
    }
    const el = card(w, deployments);
    if (old) old.el.replaceWith(el); else insert(name, el);
    cards.set(name, entry(name, el));
    applied.set(name, seq);
  }

  /** A card as kept: its element, the data it shows, and the text the search looks in. */
  function entry(name, el) {
    const w = watches.get(name);
    return {el, sig: signature(name), search: [w.name, w.registry, w.repository, w.job, w.deployed?.tag, ...(w.tags || [])]
      .filter(Boolean).join('\n').toLowerCase()};
  }

  /** What a card shows, but when it was last checked (that alone does not rebuild it). */
  function signature(name) {
    const {checks, checked_at: checkedAt, ...shown} = watches.get(name) || {};
    return JSON.stringify([shown, history.get(name) || [], [...(pending.get(name) || [])]]);
  }

  /** The card's result line: one element per watch, moved into each rebuilt card. */
  function note(name) {
    if (!notes.has(name)) notes.set(name, h('p', {class: 'result', role: 'status', 'aria-live': 'polite'}));
    return notes.get(name);
  }

  /** Runs a card action: its button stays disabled (also in a card rebuilt meanwhile), then the card is re-read. */
  async function act(name, key, button, action) {
    if (!pending.has(name)) pending.set(name, new Set());
    pending.get(name).add(key);
    try {
      const result = await busy(button, action, note(name));
      if (result !== undefined) picked.delete(name); // done: the picker shows what is deployed and newest again
      return result;
    } finally {
      pending.get(name).delete(key);
      show(name, applied.get(name) || 0);
      mark(name);
    }
  }

  /** Keeps cards in name order when one is added later. */
  function insert(name, el) {
    const after = [...cards.keys()].filter((n) => n > name).sort()[0];
    if (after) cards.get(after).el.before(el); else grid.append(el);
  }

  async function load() {
    const seq = ++sequence;
    const [list, recent] = await Promise.all([get('/api/v1/watches'), get(`/api/v1/deployments/recent?per_repo=${HISTORY}`)]);
    if (left) return;
    const names = new Set(list.map((w) => w.name));
    for (const name of [...watches.keys()]) {
      if (!names.has(name) && (applied.get(name) || 0) < seq) watches.delete(name);
    }
    const byRepo = new Map();
    for (const d of recent) {
      if (!byRepo.has(d.repo)) byRepo.set(d.repo, []);
      byRepo.get(d.repo).push(d);
    }
    const fragment = document.createDocumentFragment();
    const fresh = [];
    for (const w of list) {
      if ((applied.get(w.name) || 0) > seq) continue;
      watches.set(w.name, w);
      history.set(w.name, byRepo.get(w.name) || []);
      if (!cards.has(w.name)) fresh.push(w.name);
    }
    // first load (or many new cards): built off-document and added at once
    if (fresh.length > BULK || cards.size === 0) {
      for (const name of fresh) {
        const w = watches.get(name);
        cards.set(name, entry(name, card(w, history.get(name))));
        applied.set(name, seq);
      }
      const ordered = [...cards.keys()].sort();
      for (const name of ordered) fragment.append(cards.get(name).el);
      grid.append(fragment);
    }
    for (const name of new Set([...watches.keys(), ...cards.keys()])) show(name, seq);
    empty.hidden = cards.size > 0;
    filter();
    if (!main.dataset.measured) {
      main.dataset.measured = 'true';
      performance.mark('tugboat:watches-ready');
    }
  }

  /** Re-reads the watches the stream named (coalesced; one list call when many changed). */
  function flush() {
    flushTimer = null;
    const names = [...dirty];
    dirty.clear();
    if (names.length > BULK) {
      load().catch((e) => toast(`Could not refresh: ${e.message}`, 'error'));
      return;
    }
    for (const name of names) refresh(name);
  }

  async function refresh(name) {
    const seq = ++sequence;
    try {
      const [w, deployments] = await Promise.all([
        get(`/api/v1/watches/${path(name)}`).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
        get(`/api/v1/deployments?repo=${encodeURIComponent(name)}&limit=${HISTORY}`),
      ]);
      if (left || (applied.get(name) || 0) > seq) return;
      if (w) watches.set(name, w); else watches.delete(name);
      history.set(name, deployments);
      show(name, seq);
      empty.hidden = cards.size > 0;
      filter();
    } catch (e) {
      toast(`Could not refresh ${name}: ${e.message}`, 'error');
    }
  }

  function mark(name) {
    dirty.add(name);
    if (!flushTimer) flushTimer = setTimeout(flush, 150);
  }

  // ---- one card

  function card(w, deployments) {
    const id = uid('w');
    const last = deployments[0];
    const deployedTag = w.deployed?.tag || null;
    const tags = w.tags || [];
    const chosen = picked.get(w.name);
    const selection = tags.includes(chosen) ? chosen : (tags.includes(w.pinned_tag_value) ? w.pinned_tag_value
      : (tags.includes(deployedTag) ? deployedTag : tags[tags.length - 1]));
    const status = note(w.name);
    const inFlight = (key, el) => {
      if (pending.get(w.name)?.has(key)) {
        el.disabled = true;
        el.setAttribute('aria-busy', 'true');
      }
      return el;
    };

    const picker = h('select', {id: `${id}-tag`, disabled: tags.length === 0},
      tags.length === 0 ? h('option', {value: '', text: 'no tags seen yet'}) : null,
      [...tags].reverse().map((t) => h('option', {value: t, selected: t === selection,
        class: t === deployedTag ? 'deployed' : null,
        text: t + (t === deployedTag ? '  ✓ deployed' : '') + (t === w.pinned_tag_value && t !== deployedTag ? '  (newest)' : '')})));
    const deployButton = h('button', {type: 'button', class: 'deploy', disabled: tags.length === 0});
    const label = () => {
      const t = picker.value;
      deployButton.textContent = t ? `${t === deployedTag ? 'Redeploy' : 'Deploy'} ${t}` : 'Deploy';
    };
    label();
    picker.addEventListener('change', () => {
      picked.set(w.name, picker.value);
      label();
    });
    deployButton.addEventListener('click', async () => {
      const tag = picker.value;
      if (!tag) return;
      const verb = tag === deployedTag ? 'Redeploy' : 'Deploy';
      if (!await confirm(`${verb} ${w.registry}/${w.repository}:${tag} to Nomad job ${w.job}? The tag is pinned.`, verb)) return;
      await act(w.name, 'deploy', deployButton, async () => (await send('POST', `/tags/${path(w.name)}`, {pinned_tag: tag}))?.message);
    });

    const toggle = h('input', {type: 'checkbox', role: 'switch', id: `${id}-auto`, checked: w.auto_deploy});
    toggle.addEventListener('change', async () => {
      const on = toggle.checked;
      const result = await act(w.name, 'toggle', toggle, async () => (await send('POST', `/tags/${path(w.name)}`, {auto_deploy: on}))?.message);
      if (result === undefined) toggle.checked = !on; // refused or failed: show what is stored
    });

    const reset = h('button', {type: 'button', class: 'secondary reset', text: 'Reset'});
    reset.title = 'Unpin, turn auto-deploy on, and deploy the policy\'s newest tag';
    reset.addEventListener('click', async () => {
      if (!await confirm(`Reset ${w.name}: unpin, turn auto-deploy on, and deploy the newest tag of policy ${w.policy}?`, 'Reset')) return;
      await act(w.name, 'reset', reset, async () => (await send('POST', `/tags/${path(w.name)}/reset`, {}))?.message);
    });

    const remove = h('button', {type: 'button', class: 'outline secondary small remove', text: 'Stop watching'});
    remove.addEventListener('click', async () => {
      if (!await confirm(`Stop watching ${w.name}? Its deployment history is kept.`, 'Stop watching')) return;
      await act(w.name, 'remove', remove, async () => {
        await send('DELETE', `/api/v1/watches/${path(w.name)}`);
        return `${w.name} is no longer watched`;
      });
    });

    const running = w.running && (w.running.tag || w.running.digest);
    return h('article', {class: `card watch-card${w.drift ? ' drift' : ''}`, dataset: {name: w.name}, 'aria-labelledby': `${id}-title`},
      h('header', {},
        h('h3', {id: `${id}-title`, class: 'name', text: w.name}),
        last ? h('span', {class: 'last-state', title: 'Last deployment'}, badge(last.state)) : h('span', {class: 'muted', text: 'never deployed'})),
      h('dl', {class: 'facts'},
        fact('Image', `${w.registry}/${w.repository}`),
        fact('Nomad job', h('span', {class: 'job', text: w.job}), w.namespace ? ` (${w.namespace})` : '',
          ` · ${(w.tasks || []).join(', ')}`),
        fact(w.pinned_tag ? 'Pinned' : 'Follows', w.pinned_tag ? h('span', {class: 'pin', text: w.pinned_tag}) : `policy ${w.policy}`),
        fact('Newest', h('span', {class: 'newest', text: w.pinned_tag_value || '—'})),
        fact('Deployed', h('mark', {class: 'deployed-tag', text: deployedTag || '—'}), ' ', digest(w.deployed?.digest)),
        running ? fact('Running', h('span', {class: 'running-tag', text: w.running.tag || '—'}), ' ', digest(w.running.digest),
          w.drift ? h('strong', {class: 'drift-flag', text: ' changed outside Tugboat'}) : '') : null,
        fact('Checked', h('span', {class: 'checked-at', text: fmt.ago(w.checked_at)}), w.last_error ? h('span', {class: 'error-text', text: ` · ${w.last_error}`}) : '',
          w.failures ? ` · ${w.failures} failed deployment(s), retry ${fmt.ago(w.retry_after).replace(' ago', '')}` : '')),
      h('div', {class: 'switch-row'},
        inFlight('toggle', toggle), h('label', {for: `${id}-auto`, text: 'Auto-deploy'})),
      h('div', {class: 'deploy-row'},
        h('label', {for: `${id}-tag`, text: 'Tag'}), picker, inFlight('deploy', deployButton), inFlight('reset', reset)),
      status,
      deploymentsList(deployments, id, opened, w.name),
      h('footer', {}, inFlight('remove', remove)));
  }

  return {
    load,
    event(type, fact) {
      if (type === 'watch' && fact.name) mark(fact.name);
      if (type === 'deployment' && fact.repo) mark(fact.repo);
    },
    leave() {
      left = true;
      clearTimeout(flushTimer);
    },
  };
}

function fact(term, ...value) {
  return [h('dt', {text: term}), h('dd', {}, ...value)];
}

function deploymentsList(deployments, id, opened, name) {
  if (!deployments.length) return h('p', {class: 'muted small', text: 'No deployments yet.'});
  const details = h('details', {class: 'history', open: opened.has(name)},
    h('summary', {id: `${id}-hist`, text: `Last deployments (${deployments.length})`}),
    h('ol', {class: 'deployments', 'aria-labelledby': `${id}-hist`},
      deployments.map((d) => h('li', {class: 'deployment', dataset: {state: d.state}},
        h('div', {}, badge(d.state), ' ',
          h('span', {class: 'from', text: d.from?.tag || '—'}), ' → ', h('strong', {class: 'to', text: d.to?.tag || '—'}), ' ',
          h('span', {class: 'muted', text: `(${d.reason})`})),
        d.message ? h('div', {class: 'message', text: d.message}) : null,
        h('div', {class: 'muted small', text: `${fmt.time(d.created_at)}${d.finished_at ? ' → ' + fmt.time(d.finished_at) : ''}`})))));
  details.addEventListener('toggle', () => (details.open ? opened.add(name) : opened.delete(name)));
  return details;
}

/** The form that adds a watch (POST /api/v1/watches). */
function addForm(reload) {
  const fields = [
    ['registry', 'Registry host', 'registry.example.com:5000', true],
    ['repository', 'Repository', 'team/app', true],
    ['job', 'Nomad job', 'app', true],
    ['tasks', 'Nomad tasks (comma-separated)', 'app', true],
    ['policy', 'Tag policy', 'release', false],
    ['namespace', 'Nomad namespace', 'default', false],
    ['name', 'Name (default: the repository)', '', false],
  ];
  const inputs = {};
  const status = h('p', {class: 'result', role: 'status', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', text: 'Add watch'});
  const form = h('form', {class: 'add-watch'},
    h('div', {class: 'grid-form'}, fields.map(([key, text, placeholder, required]) => {
      const id = `add-watch-${key}`;
      inputs[key] = h('input', {id, name: key, placeholder, required, autocomplete: 'off'});
      return h('div', {}, h('label', {for: id, text}), inputs[key]);
    })),
    submit, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const [key] of fields) {
      const v = inputs[key].value.trim();
      if (v) body[key] = key === 'tasks' ? v.split(',').map((t) => t.trim()).filter(Boolean) : v;
    }
    const done = await busy(submit, async () => {
      const w = await send('POST', '/api/v1/watches', body);
      return `${w.name} is watched`;
    }, status);
    if (done) {
      form.reset();
      reload();
    }
  });
  return h('details', {class: 'add'}, h('summary', {role: 'button', class: 'outline', text: 'Add a watch'}), form);
}
