// The API token and the mutating calls. The token lives in sessionStorage (gone with the
// tab) and travels only in the Authorization header: never a cookie (CSRF) nor a query
// string (logs, history, Referer).

const TOKEN_KEY = 'autoimmune.token';
/** Used when sessionStorage is disabled: the token then lasts until a reload. */
let memoryToken = '';

/** Takes "#token=..." from the address (a link the CLI can print) and removes it from the bar and history. */
export function adoptTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return;
  let token = m[1];
  try {
    token = decodeURIComponent(token);
  } catch {
    // keep it as it is
  }
  setToken(token);
  history.replaceState(history.state, '', location.pathname + location.search);
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export function setToken(token) {
  const t = token.trim();
  memoryToken = t;
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: memoryToken serves
  }
}

export function hasToken() {
  return getToken() !== '';
}

/** Thrown when a call needs the token and none is set. */
export class NeedsTokenError extends Error {
  constructor() {
    super('an API token is needed: paste it into "API token" at the top (the node prints it at start and keeps it in its state dir, file http-token)');
    this.name = 'NeedsTokenError';
  }
}

/** Error from the API, with its HTTP status and stable code when it gave one. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * A JSON call to the node. The token goes along when set; `needsToken` (the default, for
 * mutating calls) refuses to call without one. Errors come back as ApiError with the
 * server's own message.
 */
export async function call(method, path, body, needsToken = true) {
  const token = getToken();
  if (needsToken && !token) throw new NeedsTokenError();
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, `the node did not answer (${err.message})`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: reported by status below
  }
  if (!res.ok) {
    const message = data && typeof data.error === 'string' ? data.error : `HTTP ${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, data && typeof data.code === 'string' ? data.code : undefined);
  }
  return data;
}

/** POST /api/bans (ttl in seconds, or the node's default); resolves to the decision. */
export function block(address, reason, ttl) {
  return call('POST', '/api/bans', ttl === undefined ? { address, reason } : { address, reason, ttl });
}

/** DELETE /api/bans/:address; resolves to the decision. */
export function unblock(address) {
  return call('DELETE', `/api/bans/${encodeURIComponent(address)}`);
}
