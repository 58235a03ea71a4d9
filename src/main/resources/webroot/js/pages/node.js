// Node: health, version, database and runtime of the node that answered; the cluster's members when the
// node is clustered (GET /api/v1/cluster; the section is hidden while that route answers 404).
import {fmt, h, put} from '../dom.js';
import {get, getOptional} from '../api.js';

export function create(main) {
  const body = h('div', {id: 'node-detail'});
  put(main, h('hgroup', {}, h('h1', {text: 'Node'}), h('p', {text: 'The Tugboat node serving this page.'})), body);

  async function health() {
    const response = await fetch('/health/ready', {headers: {Accept: 'application/json'}, cache: 'no-store'});
    const json = await response.json().catch(() => ({}));
    return {up: response.ok, checks: json.checks || []};
  }

  async function load() {
    const [node, ready, cluster] = await Promise.all([get('/api/v1/node'), health(), getOptional('/api/v1/cluster')]);
    put(body,
      h('article', {class: 'health'},
        h('header', {}, h('strong', {text: 'Health '}), h('span', {class: `badge state-${ready.up ? 'successful' : 'failed'}`,
          id: 'node-health', text: ready.up ? 'up' : 'down'})),
        h('ul', {}, ready.checks.map((c) => h('li', {}, `${c.id}: ${c.status}`,
          c.data?.error ? h('span', {class: 'error-text', text: ` (${c.data.error})`}) : '')))),
      h('dl', {class: 'facts'},
        h('dt', {text: 'Version'}), h('dd', {id: 'node-version', text: node.version}),
        h('dt', {text: 'Started'}), h('dd', {text: `${fmt.time(node.started_at)} (${fmt.seconds(node.uptime_seconds)} ago)`}),
        h('dt', {text: 'Database'}), h('dd', {id: 'node-database', text: `${node.database.vendor} ${node.database.host}:${node.database.port}/${node.database.database}`}),
        h('dt', {text: 'Write token'}), h('dd', {text: node.auth.tokens ? 'required (tokens file)' : 'not required (no tokens file)'}),
        h('dt', {text: 'Webhook token'}), h('dd', {text: node.auth.webhook_token ? 'required' : 'not required'}),
        h('dt', {text: 'Runtime'}), h('dd', {text: `Java ${node.runtime.java}, Vert.x ${node.runtime.vertx}, ${node.runtime.processors} cores`})),
      cluster ? clusterSection(cluster) : null);
  }

  return {load, event() {}, leave() {}};
}

function clusterSection(cluster) {
  const members = cluster.members || [];
  return h('section', {id: 'cluster'},
    h('h2', {text: `Cluster (${members.length} members)`}),
    h('div', {class: 'overflow-auto'}, h('table', {class: 'striped'},
      h('thead', {}, h('tr', {}, ['Node', 'Address', 'HTTP', 'Started', 'Running'].map((t) => h('th', {scope: 'col', text: t})))),
      h('tbody', {}, members.map((m) => h('tr', {class: m.node === cluster.node ? 'self' : null},
        h('td', {text: m.node + (m.node === cluster.node ? ' (this node)' : '')}),
        h('td', {text: m.address ?? '—'}),
        h('td', {text: m.http ?? '—'}),
        h('td', {text: fmt.time(m.started_at)}),
        h('td', {text: Object.entries(m.leases || {}).map(([k, v]) => `${v} ${k}`).join(', ') || '—'})))))));
}
