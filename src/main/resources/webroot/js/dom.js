// DOM building without HTML strings: every text from the API goes through textContent or a text node,
// so a tag, job name or message holding markup is shown as the characters it is, never parsed.

/**
 * h('button', {class: 'x', type: 'button', on: {click: fn}, dataset: {name}}, 'text', child, [more])
 * Props: class, text, on, dataset, hidden, disabled, checked, selected, value, for (htmlFor); any other
 * key is set as an attribute (values are strings; "href" must be built by the caller from encoded parts).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      switch (key) {
        case 'class': el.className = value; break;
        case 'text': el.textContent = String(value); break;
        case 'on': for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn); break;
        case 'dataset': Object.assign(el.dataset, value); break;
        case 'hidden': case 'disabled': case 'checked': case 'selected': case 'required': case 'open':
          el[key] = Boolean(value); break;
        case 'value': el.value = String(value); break;
        case 'for': el.htmlFor = value; break;
        default: el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function put(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element id (labels point at controls by id; names from the API never go into ids). */
export const uid = (prefix) => `${prefix}-${++ids}`;

/** A link inside the UI: the route is built from encoded parts only. */
export function link(route, text, props = {}) {
  return h('a', {...props, href: '#/' + route.map(encodeURIComponent).join('/')}, text);
}

/** A state badge: PENDING, RUNNING, SUCCESSFUL, FAILED, TIMEOUT, DRY_RUN, QUEUED, FINISHED, COPYING, SKIPPED. */
export function badge(state) {
  const s = String(state || 'none').toLowerCase();
  return h('span', {class: `badge state-${s.replace(/[^a-z_]/g, '')}`, text: s.replace('_', ' ')});
}

export const fmt = {
  time(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  },
  ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (!Number.isFinite(s)) return String(iso);
    if (s < 60) return `${Math.max(s, 0)} s ago`;
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  },
  bytes(n) {
    if (n === null || n === undefined) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n);
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
  },
  digest(d) {
    if (!d) return '—';
    const s = String(d);
    return s.startsWith('sha256:') ? s.slice(0, 19) : s;
  },
  seconds(s) {
    if (!Number.isFinite(s)) return '—';
    if (s < 60) return `${Math.ceil(s)} s`;
    return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
  },
};

/** A digest shown short, the full value in its title and copied on click. */
export function digest(d) {
  if (!d) return h('span', {text: '—'});
  return h('code', {class: 'digest', title: String(d), text: fmt.digest(d)});
}
