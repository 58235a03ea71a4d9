// Inventory: repositories and images filtered by repository, tag, platform or digest; an image's page shows
// its tags (version class, latest of the class), platforms, layers in order, config digest, build time and
// its lineage (the images it is built on and its children, each a link).
import {digest, fmt, h, link, put} from '../dom.js';
import {get} from '../api.js';
import {setQuery} from '../route.js';

const FILTERS = [
  ['repository', 'Repository', 'registry/team/app'],
  ['tag', 'Tag', 'v1.2.3'],
  ['platform', 'Platform', 'linux/amd64'],
  ['digest', 'Digest', 'sha256:…'],
];

export function create(main, route) {
  return route.parts.length ? imagePage(main, route.parts.join('/')) : listPage(main, route);
}

/** A reference of an image in the inventory: name@digest (names are registry/repository). */
const ref = (image) => `${image.name}@${image.digest}`;
const imageLink = (image, text) => link(['inventory', ref(image)], text || `${image.name}${image.tags?.length ? ':' + image.tags.join(', ') : ''}`);

function listPage(main, route) {
  const inputs = {};
  const datalist = h('datalist', {id: 'inventory-repos'});
  const form = h('form', {class: 'filters', role: 'search'},
    h('div', {class: 'grid-form'}, FILTERS.map(([key, text, placeholder]) => {
      inputs[key] = h('input', {id: `inventory-${key}`, name: key, placeholder, value: route.query.get(key) || '',
        autocomplete: 'off', list: key === 'repository' ? 'inventory-repos' : null});
      return h('div', {}, h('label', {for: `inventory-${key}`, text}), inputs[key]);
    })),
    h('button', {type: 'submit', text: 'Filter'}), datalist);
  const results = h('div', {id: 'inventory-results'});
  const more = h('button', {type: 'button', class: 'secondary', hidden: true, text: 'More'});
  const repos = h('ul', {class: 'repo-list', id: 'inventory-repo-list'});
  let page = 1;
  let rows = null;

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = {};
    for (const [key] of FILTERS) values[key] = inputs[key].value.trim();
    setQuery(values);
    page = 1;
    load();
  });
  more.addEventListener('click', () => {
    page++;
    fetchPage(false);
  });

  put(main,
    h('hgroup', {}, h('h1', {text: 'Inventory'}), h('p', {text: 'Every image pushed to a watched registry, with tags, platforms and layers.'})),
    form, results, more,
    h('details', {class: 'repos'}, h('summary', {text: 'Repositories'}), repos));

  async function fetchPage(fresh) {
    const query = new URLSearchParams({page: String(page), per_page: '50'});
    for (const [key] of FILTERS) if (inputs[key].value.trim()) query.set(key, inputs[key].value.trim());
    const answer = await get(`/api/v1/images?${query}`);
    if (fresh || !rows) {
      rows = h('tbody');
      put(results, answer.items.length === 0 ? h('p', {class: 'empty', text: 'No image matches.'})
        : h('div', {class: 'overflow-auto'}, h('table', {class: 'striped images'},
          h('thead', {}, h('tr', {}, ['Image', 'Tags', 'Digest', 'Platforms'].map((t) => h('th', {scope: 'col', text: t})))),
          rows)));
    }
    for (const image of answer.items) {
      rows.append(h('tr', {class: 'image-row'},
        h('td', {}, imageLink(image, image.name)),
        h('td', {class: 'tags'}, image.tags.length ? image.tags.map((t) => h('span', {class: 'tag', text: t})) : h('span', {class: 'muted', text: 'untagged'})),
        h('td', {}, digest(image.digest)),
        h('td', {}, image.platforms.map((p) => h('span', {class: 'platform', text: platformName(p)})))));
    }
    more.hidden = !answer.next_page;
  }

  async function load() {
    const [list] = await Promise.all([get('/api/v1/repositories'), fetchPage(true)]);
    put(datalist, list.map((r) => h('option', {value: r.name})));
    put(repos, list.length ? list.map((r) => h('li', {}, h('a', {href: '#/inventory?repository=' + encodeURIComponent(r.name),
      text: r.name, on: {click: () => setTimeout(() => {
        inputs.repository.value = r.name;
        page = 1;
        fetchPage(true);
      })}}))) : h('li', {class: 'muted', text: 'none yet'}));
  }

  return {load, event() {}, leave() {}};
}

function platformName(p) {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function imagePage(main, reference) {
  const body = h('div', {id: 'image-detail'});
  put(main, h('p', {}, link(['inventory'], '← inventory')), body);

  async function load() {
    const image = await get(`/api/v1/images/${reference.split('/').map(encodeURIComponent).join('/')}`);
    put(body,
      h('hgroup', {}, h('h1', {class: 'name', text: image.name}), h('p', {}, digest(image.digest))),
      h('dl', {class: 'facts'},
        h('dt', {text: 'Media type'}), h('dd', {text: image.media_type || '—'}),
        h('dt', {text: 'Created'}), h('dd', {text: fmt.time(image.created)}),
        h('dt', {text: 'First seen'}), h('dd', {text: fmt.time(image.first_seen_at)}),
        h('dt', {text: 'Scraped'}), h('dd', {text: fmt.time(image.scraped_at)})),
      h('h2', {text: 'Tags'}),
      image.tags.length ? h('ul', {class: 'tag-list'}, image.tags.map((t) => h('li', {},
        h('span', {class: 'tag', text: t.tag}), ' ', h('span', {class: 'muted', text: `class ${t.version_class}`}), ' ',
        t.is_latest ? h('strong', {text: 'latest of its class'})
          : (t.latest ? ['latest of its class: ', imageLink(t.latest)] : '')))) : h('p', {class: 'muted', text: 'untagged'}),
      h('h2', {text: 'Built on'}),
      image.built_on.length ? h('ul', {}, image.built_on.map((b) => h('li', {}, imageLink(b)))) : h('p', {class: 'muted', text: 'no known base image'}),
      image.platforms.map((p) => h('section', {class: 'platform-detail'},
        h('h2', {text: platformName(p) + (p.os_version ? ` (${p.os_version})` : '')}),
        h('dl', {class: 'facts'},
          h('dt', {text: 'Manifest'}), h('dd', {}, digest(p.digest)),
          h('dt', {text: 'Config'}), h('dd', {}, digest(p.config_digest)),
          h('dt', {text: 'Built'}), h('dd', {text: fmt.time(p.created)})),
        h('h3', {text: `Layers (${p.layers.length}), bottom first`}),
        h('ol', {class: 'layers'}, p.layers.map((l) => h('li', {},
          digest(l.digest), ' ', h('span', {class: 'muted', text: fmt.bytes(l.size)}),
          l.source_images.filter((s) => s.digest !== image.digest).length
            ? [' from ', l.source_images.filter((s) => s.digest !== image.digest).map((s) => imageLink(s))] : ''))),
        h('h3', {text: 'Children'}),
        p.children.length ? h('ul', {}, p.children.map((c) => h('li', {}, imageLink(c)))) : h('p', {class: 'muted', text: 'no image is built on this one'}))));
  }

  return {load, event() {}, leave() {}};
}
