// Transfers: jobs newest first with a state filter, a form to start one, and per target a live progress bar
// (bytes, blobs, current blob, MiB/s, ETA), the last error and Cancel. #/transfers/<id> follows one job over
// its own event stream (/api/distribute/image/{id}/events).
import {badge, digest, fmt, h, link, put, uid} from '../dom.js';
import {get, send} from '../api.js';
import {busy, confirm, toast} from '../ui.js';
import {setQuery} from '../route.js';

const STATES = ['', 'QUEUED', 'RUNNING', 'FINISHED', 'FAILED'];
const BASE = '/api/distribute/image';

export function create(main, route) {
  const only = route.parts[0] || null; // one job's page
  const jobs = new Map(); // id → {el, sig}
  const rates = new Map(); // id|endpoint → {t, bytes, rate}
  let left = false;
  let stream = null;

  const stateSelect = h('select', {id: 'transfer-state'},
    STATES.map((s) => h('option', {value: s, selected: s === (route.query.get('state') || ''), text: s ? s.toLowerCase() : 'all'})));
  stateSelect.addEventListener('change', () => {
    setQuery({state: stateSelect.value});
    load().catch((e) => toast(e.message, 'error'));
  });
  const list = h('div', {class: 'cards wide', id: 'transfer-jobs'});
  const empty = h('p', {class: 'empty', hidden: true, text: 'No transfer jobs.'});

  put(main,
    h('hgroup', {}, h('h1', {text: only ? 'Transfer job' : 'Transfers'}),
      h('p', {}, only ? link(['transfers'], '← all transfers') : 'Copy an image to many registries; progress is live.')),
    only ? null : h('div', {class: 'toolbar'}, h('label', {for: 'transfer-state', text: 'State'}), stateSelect),
    only ? null : startForm(() => load()),
    empty, list);

  function rate(id, t) {
    const key = `${id}|${t.endpoint}`;
    const now = performance.now();
    const prev = rates.get(key);
    let r = prev?.rate || 0;
    if (prev && t.bytes_done > prev.bytes && now > prev.t) {
      const instant = (t.bytes_done - prev.bytes) / ((now - prev.t) / 1000);
      r = prev.rate ? 0.6 * prev.rate + 0.4 * instant : instant;
    }
    if (!prev || t.bytes_done !== prev.bytes) rates.set(key, {t: now, bytes: t.bytes_done, rate: r});
    return t.state === 'COPYING' ? r : 0;
  }

  function show(job) {
    const sig = JSON.stringify(job);
    const old = jobs.get(job.id);
    if (old && old.sig === sig) return;
    const el = jobCard(job);
    if (old) old.el.replaceWith(el); else list.prepend(el);
    jobs.set(job.id, {el, sig});
    empty.hidden = true;
  }

  async function load() {
    if (only) {
      show(await get(`${BASE}/${encodeURIComponent(only)}`));
      follow();
      return;
    }
    const state = stateSelect.value;
    const all = await get(`${BASE}?limit=50${state ? '&state=' + state : ''}`);
    if (left) return;
    const ids = new Set(all.map((j) => j.id));
    for (const [id, entry] of jobs) {
      if (!ids.has(id)) {
        entry.el.remove();
        jobs.delete(id);
      }
    }
    [...all].reverse().forEach(show); // newest first: each is prepended
    const order = all.map((j) => jobs.get(j.id).el);
    list.replaceChildren(...order);
    empty.hidden = all.length > 0;
  }

  async function refresh(id) {
    try {
      const job = await get(`${BASE}/${encodeURIComponent(id)}`);
      if (left) return;
      const state = stateSelect.value;
      if (!only && state && job.value !== state) {
        jobs.get(id)?.el.remove();
        jobs.delete(id);
        return;
      }
      show(job);
    } catch (e) {
      if (e.status !== 404) toast(`Could not refresh transfer ${id}: ${e.message}`, 'error');
    }
  }

  /** One job's own stream: the status on every change, then "end". */
  function follow() {
    if (stream || left) return;
    stream = new EventSource(`${BASE}/${encodeURIComponent(only)}/events`);
    stream.addEventListener('progress', (e) => show(JSON.parse(e.data)));
    stream.addEventListener('end', () => {
      stream.close();
    });
  }

  function jobCard(job) {
    const id = uid('t');
    const over = job.value === 'FINISHED' || job.value === 'FAILED';
    const status = h('p', {class: 'result', role: 'status', 'aria-live': 'polite'});
    const cancel = h('button', {type: 'button', class: 'secondary cancel', text: 'Cancel', disabled: over || job.cancelled});
    cancel.addEventListener('click', async () => {
      if (!await confirm(`Cancel the transfer of ${job.source.image}:${job.source.ref}?`, 'Cancel transfer')) return;
      await busy(cancel, async () => (await send('DELETE', `${BASE}/${encodeURIComponent(job.id)}`))?.msg, status);
      refresh(job.id);
    });
    const source = job.source || {};
    return h('article', {class: 'card transfer-card', dataset: {id: job.id, state: job.value}, 'aria-labelledby': `${id}-title`},
      h('header', {},
        h('h3', {id: `${id}-title`}, link(['transfers', job.id], `${source.image}:${source.ref}`)),
        badge(job.value)),
      h('p', {class: 'muted small'},
        `from ${source.endpoint} · started ${fmt.time(job.started_at)}`,
        job.finished_at ? ` · finished ${fmt.time(job.finished_at)}` : '',
        ` · attempt ${job.attempts} of ${job.max_attempts}`, job.cancelled ? ' · cancel requested' : '',
        job.digest ? [' · ', digest(job.digest)] : ''),
      h('ul', {class: 'targets'}, (job.targets || []).map((t) => target(job, t))),
      job.last_error ? h('p', {class: 'error-text', text: job.last_error}) : null,
      status,
      h('footer', {}, cancel));
  }

  function target(job, t) {
    const done = t.state === 'FINISHED' || t.state === 'SKIPPED';
    const max = t.bytes_total > 0 ? t.bytes_total : 1;
    const value = done ? max : Math.min(t.bytes_done, max);
    const pct = Math.floor((value / max) * 100);
    const r = rate(job.id, t);
    const eta = r > 0 ? (t.bytes_total - t.bytes_done) / r : NaN;
    const id = uid('p');
    return h('li', {class: 'target', dataset: {endpoint: t.endpoint, state: t.state}},
      h('div', {class: 'target-head'}, h('span', {class: 'endpoint', id, text: t.endpoint}), ' ', badge(t.state),
        h('span', {class: 'percent', text: `${pct} %`})),
      h('progress', {max, value, 'aria-labelledby': id, 'aria-valuetext': `${pct} %`}),
      h('div', {class: 'muted small stats'},
        `${fmt.bytes(t.bytes_done)} of ${fmt.bytes(t.bytes_total)}`,
        ` · ${t.blobs} blob(s), ${t.blobs_present} present, ${t.blobs_mounted} mounted`,
        r > 0 ? ` · ${(r / 1048576).toFixed(1)} MiB/s · ETA ${fmt.seconds(eta)}` : '',
        t.current_blob ? [' · copying ', digest(t.current_blob)] : '',
        t.attempts > 1 ? ` · attempt ${t.attempts}` : ''),
      t.last_error ? h('div', {class: 'error-text', text: t.last_error}) : null);
  }

  return {
    load,
    event(type, fact) {
      if (type === 'transfer' && fact.id && (!only || fact.id === only)) refresh(fact.id);
    },
    leave() {
      left = true;
      stream?.close();
    },
  };
}

/** Starts a job (POST /api/distribute/image). Passwords are cleared after every attempt and never shown again. */
function startForm(reload) {
  const field = (key, text, attrs = {}) => {
    const id = `transfer-${key}`;
    const input = h(attrs.multiline ? 'textarea' : 'input', {id, name: key, autocomplete: 'off', ...attrs, multiline: null});
    return {input, el: h('div', {}, h('label', {for: id, text}), input)};
  };
  const endpoint = field('source-endpoint', 'Source registry', {placeholder: 'https://registry.example.com/v2', required: true});
  const image = field('image', 'Image (repository)', {placeholder: 'team/app', required: true});
  const ref = field('ref', 'Tag or digest', {placeholder: 'v1.2.3', required: true});
  const targets = field('targets', 'Target registries (one per line)', {multiline: true, rows: 3, required: true,
    placeholder: 'https://mirror-a.example.com/v2'});
  const srcUser = field('source-user', 'Source user (optional)');
  const srcPass = field('source-password', 'Source password', {type: 'password'});
  const dstUser = field('target-user', 'Target user (optional, every target)');
  const dstPass = field('target-password', 'Target password', {type: 'password'});
  const overwrite = h('input', {type: 'checkbox', id: 'transfer-overwrite', role: 'switch'});
  const verify = h('input', {type: 'checkbox', id: 'transfer-verify', role: 'switch', checked: true});
  const status = h('p', {class: 'result', role: 'status', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', text: 'Start transfer'});
  const form = h('form', {class: 'start-transfer'},
    h('div', {class: 'grid-form'}, endpoint.el, image.el, ref.el, targets.el),
    h('div', {class: 'grid-form'}, srcUser.el, srcPass.el, dstUser.el, dstPass.el),
    h('div', {class: 'switch-row'}, overwrite, h('label', {for: 'transfer-overwrite', text: 'Overwrite an existing tag'}),
      verify, h('label', {for: 'transfer-verify', text: 'Verify TLS'})),
    submit, status);
  const auth = (user, pass) => (user.input.value.trim()
    ? {basicauth: {user: user.input.value.trim(), password: pass.input.value}} : undefined);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const targetAuth = auth(dstUser, dstPass);
    const body = {
      source: {endpoint: endpoint.input.value.trim(), image: image.input.value.trim(), ref: ref.input.value.trim(),
        verify_tls: verify.checked, auth: auth(srcUser, srcPass)},
      targets: targets.input.value.split('\n').map((s) => s.trim()).filter(Boolean)
        .map((t) => ({endpoint: t, overwrite: overwrite.checked, verify_tls: verify.checked, auth: targetAuth})),
    };
    srcPass.input.value = '';
    dstPass.input.value = '';
    const done = await busy(submit, async () => {
      const answer = await send('POST', BASE, body);
      return `Transfer started (${answer.id})`;
    }, status);
    if (done) {
      form.reset();
      reload();
    }
  });
  return h('details', {class: 'add'}, h('summary', {role: 'button', class: 'outline', text: 'Start a transfer'}), form);
}

