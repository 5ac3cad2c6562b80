// Calls to the admin API through the gateway: the session's bearer token, problem documents turned into
// errors a person can read, and one retry with refreshed tokens after a 401.

import { apiError, PROBLEM_ACCEPT, problemError, send } from './problem.ts';
import { toSearch, type QueryValues } from './query.ts';
import { accessToken, refresh, SESSION_ENDED, signOut } from './session.ts';

export const ADMIN_NEEDED = 'This console needs an admin account.';

export interface CallOptions {
  query?: QueryValues;
  signal?: AbortSignal;
  accept?: string;
  /** GET unless given. */
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
}

/** A successful response (its body unread); anything else rejects with an ApiError. */
export async function apiFetch(path: string, options: CallOptions = {}): Promise<Response> {
  const url = `${path}${toSearch(options.query ?? {})}`;
  const call = (token: string) =>
    send(url, {
      method: options.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        accept: options.accept ?? `application/json, ${PROBLEM_ACCEPT}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const token = await accessToken();
  if (!token) throw apiError(SESSION_ENDED, 401);
  let response = await call(token);
  if (response.status === 401) {
    // The token may have been revoked or expired early: new tokens, then this request once more.
    const renewed = await refresh();
    if (renewed) response = await call(renewed.accessToken);
    if (response.status === 401) {
      const error = await problemError(response);
      signOut(SESSION_ENDED);
      throw error;
    }
  }
  if (response.status === 403) {
    // Every query of this API is an admin's: a 403 means the account is not one.
    const error = await problemError(response);
    throw apiError(ADMIN_NEEDED, 403, error.code);
  }
  if (!response.ok) throw await problemError(response);
  return response;
}

export async function getJson<T>(path: string, options: CallOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  return (await response.json()) as T;
}

/** A POST (or another method) with a JSON body; the answer's JSON. */
export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<T> {
  const response = await apiFetch(path, { ...options, method, body: body ?? {} });
  const text = await response.text();
  return (text === '' ? {} : JSON.parse(text)) as T;
}
