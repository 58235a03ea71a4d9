// Allow-list: search, add an entry, delete one (confirmed), and "would this image be admitted?" answered
// by the admission route itself (POST /imagepolicy), with its reason.
import {fmt, h, put} from '../dom.js';
import {get, path, send} from '../api.js';
import {busy, confirm} from '../ui.js';
import {setQuery} from '../route.js';

export function create(main, route) {
  let entries = [];
  const search = h('input', {type: 'search', id: 'allow-search', placeholder: 'Id, image or tag', value: route.query.get('q') || '',
    autocomplete: 'off'});
  const count = h('p', {class: 'muted', role: 'status', 'aria-live': 'polite'});
  const rows = h('tbody', {id: 'allow-rows'});
  search.addEventListener('input', () => {
    setQuery({q: search.value.trim()});
    render();
  });

  put(main,
    h('hgroup', {}, h('h1', {text: 'Allow-list'}), h('p', {text: 'Images Kubernetes may run (imagelist), and the admission check.'})),
    admissionForm(),
    h('div', {class: 'toolbar', role: 'search'}, h('label', {for: 'allow-search', text: 'Search'}), search, count),
    addForm(() => load()),
    h('div', {class: 'overflow-auto'}, h('table', {class: 'striped allowlist'},
      h('thead', {}, h('tr', {}, ['Id', 'Image', 'Tags', 'Updated', ''].map((t) => h('th', {scope: 'col', text: t})))),
      rows)));

  function render() {
    const q = search.value.trim().toLowerCase();
    const shown = entries.filter((e) => !q || [e.id, e.name, ...(e.tags || [])].some((s) => String(s).toLowerCase().includes(q)));
    put(rows, shown.map(row));
    count.textContent = `${shown.length} of ${entries.length} entries`;
  }

  function row(entry) {
    const status = h('span', {class: 'result', role: 'status', 'aria-live': 'polite'});
    const remove = h('button', {type: 'button', class: 'outline secondary small delete', text: 'Delete',
      'aria-label': `Delete ${entry.id}`});
    remove.addEventListener('click', async () => {
      if (!await confirm(`Delete the allow-list entry ${entry.id}? Pods using ${entry.name} may no longer be admitted.`, 'Delete')) return;
      const done = await busy(remove, async () => {
        await send('DELETE', `/images/${path(entry.id)}`);
        return `${entry.id} deleted`;
      }, status);
      if (done) load();
    });
    return h('tr', {class: 'allow-row', dataset: {id: entry.id}},
      h('td', {class: 'id', text: entry.id}),
      h('td', {class: 'image', text: entry.name}),
      h('td', {class: 'tags'}, (entry.tags || []).length ? entry.tags.map((t) => h('span', {class: 'tag', text: t}))
        : h('span', {class: 'muted', text: 'any tag'})),
      h('td', {class: 'small', text: fmt.time(entry.updated_at)}),
      h('td', {}, remove, status));
  }

  async function load() {
    entries = await get('/images');
    render();
  }

  return {load, event() {}, leave() {}};
}

function addForm(reload) {
  const id = h('input', {id: 'allow-id', required: true, placeholder: 'team-app', autocomplete: 'off'});
  const name = h('input', {id: 'allow-name', required: true, placeholder: 'registry.example.com/team/app', autocomplete: 'off'});
  const tags = h('input', {id: 'allow-tags', placeholder: 'v1.2.3, v1.2.4 (empty: any tag)', autocomplete: 'off'});
  const status = h('p', {class: 'result', role: 'status', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', text: 'Add entry'});
  const form = h('form', {class: 'add-entry'},
    h('div', {class: 'grid-form'},
      h('div', {}, h('label', {for: 'allow-id', text: 'Id'}), id),
      h('div', {}, h('label', {for: 'allow-name', text: 'Image name (no tag)'}), name),
      h('div', {}, h('label', {for: 'allow-tags', text: 'Tags (comma-separated)'}), tags)),
    submit, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {id: id.value.trim(), name: name.value.trim(),
      tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean)};
    const done = await busy(submit, async () => {
      const entry = await send('PUT', '/images', body);
      return `${entry.id} allowed`;
    }, status);
    if (done) {
      form.reset();
      reload();
    }
  });
  return h('details', {class: 'add'}, h('summary', {role: 'button', class: 'outline', text: 'Add an entry'}), form);
}

/** POST /imagepolicy with an ImageReview of one container: the answer Kubernetes would get. */
function admissionForm() {
  const input = h('input', {id: 'admission-image', required: true, placeholder: 'registry.example.com/team/app:v1.2.3',
    autocomplete: 'off'});
  const answer = h('p', {id: 'admission-answer', class: 'result', role: 'status', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', text: 'Check'});
  const form = h('form', {class: 'admission', role: 'search'},
    h('label', {for: 'admission-image', text: 'Would this image be admitted?'}),
    h('fieldset', {role: 'group'}, input, submit), answer);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const image = input.value.trim();
    await busy(submit, async () => {
      const review = await send('POST', '/imagepolicy', {apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview',
        spec: {containers: [{image}]}});
      const s = review.status || {};
      answer.className = `result ${s.allowed ? 'ok' : 'error'}`;
      put(answer, h('strong', {text: s.allowed ? 'Admitted' : 'Denied'}), s.reason ? `: ${s.reason}` : ` — ${image}`);
      return null;
    }, null);
  });
  return h('article', {class: 'admission-box'}, form);
}
