// The hash route: #/page/part/part?query. Pages keep their filters in the query (shareable, survives reload).

/** #/page/part/part?query → {page, parts, query} (an unknown page is the default one). */
export function parseRoute(pages) {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const known = !pages || segments[0] in pages;
  return {page: known && segments[0] ? segments[0] : 'watches', parts: known ? segments.slice(1) : [],
    query: new URLSearchParams(queryPart)};
}

/** Rewrites the current route's query without a history entry or a hashchange (so the page is not rebuilt). */
export function setQuery(values) {
  const [base, queryPart = ''] = location.hash.split('?');
  const query = new URLSearchParams(queryPart);
  for (const [k, v] of Object.entries(values)) {
    if (v) query.set(k, v); else query.delete(k);
  }
  const q = query.toString();
  history.replaceState(null, '', (base || '#/') + (q ? '?' + q : ''));
}
