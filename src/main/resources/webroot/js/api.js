// Calls to Tugboat's JSON API. Reads need no token. Writes are sent with the tab's bearer token when it has
// one; a 401 asks for a token (kept in sessionStorage for this tab, never shown), and a refused token says so.
import {askToken} from './ui.js';

const TOKEN_KEY = 'tugboat.token';

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

const changed = () => document.dispatchEvent(new Event('tugboat:token'));
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => { sessionStorage.setItem(TOKEN_KEY, t); changed(); },
  forget: () => { sessionStorage.removeItem(TOKEN_KEY); changed(); },
};

/** A repository or id with '/' as a path: each segment encoded, the slashes kept (the routes take them raw). */
export const path = (name) => String(name).split('/').map(encodeURIComponent).join('/');

/** The message of any of Tugboat's error shapes: {error: {message}}, registrywatcher's {message}, {msg}. */
function reason(body, status) {
  if (body && typeof body === 'object') {
    const text = body.error?.message || body.message || body.msg;
    if (text) return String(text);
  }
  return `HTTP ${status}`;
}

async function call(method, url, body, bearer) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit', cache: 'no-store',
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return {status: response.status, ok: response.ok, json};
}

/** GET a JSON document; throws ApiError for any non-2xx answer. */
export async function get(url) {
  const r = await call('GET', url);
  if (!r.ok) throw new ApiError(r.status, reason(r.json, r.status), r.json?.error?.field);
  return r.json;
}

/** GET that answers null for a 404 (optional routes such as /api/v1/cluster). */
export async function getOptional(url) {
  const r = await call('GET', url);
  if (r.status === 404) return null;
  if (!r.ok) throw new ApiError(r.status, reason(r.json, r.status));
  return r.json;
}

/**
 * A write. Answers the JSON body (or null). 401: asks for a token and tries again; cancelling the dialog
 * fails the action with "needs a token". Also fails for a 2xx registrywatcher message that starts "Error:".
 */
export async function send(method, url, body) {
  let bearer = token.get();
  for (;;) {
    const r = await call(method, url, body, bearer);
    if (r.status === 401) {
      const refused = Boolean(bearer);
      if (refused) token.forget();
      bearer = await askToken(refused
        ? 'Refused: the server did not accept this token (401). Enter another token.'
        : 'This action needs Tugboat\'s bearer token. It is kept in this tab only (sessionStorage).');
      if (!bearer) throw new ApiError(401, refused ? 'The token was refused (401)' : 'This action needs a bearer token');
      token.set(bearer);
      continue;
    }
    if (!r.ok) throw new ApiError(r.status, reason(r.json, r.status), r.json?.error?.field);
    return r.json;
  }
}
