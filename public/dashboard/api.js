/**
 * The dashboard's only way to the server: same-origin fetches to the public /api/v1 with the
 * owner's session cookie. The browser adds a matching Origin to every state-changing request,
 * which the server requires of a session.
 */

/** An answer in the API's error shape: `{ error, message, details?, requestId }`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `The server answered ${status}.`);
    this.status = status;
    this.code = body?.error ?? 'unknown_error';
    this.details = Array.isArray(body?.details) ? body.details : [];
    this.requestId = body?.requestId;
  }
}

let onUnauthorized = () => {};
/** Called when a request answers 401 (the session ended): the app shows the login again. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/** `GET /api/v1/courses?search=…` style query strings; empty values are left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, { error: 'network_error', message: 'The server could not be reached.' });
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !path.startsWith('/auth/login')) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);
