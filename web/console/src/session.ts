// The signed-in admin's tokens: kept in memory and in sessionStorage (a reload keeps the session, closing
// the tab ends it), refreshed shortly before the access token expires or when the API answers 401.

import { isApiError, PROBLEM_ACCEPT, problemError, send } from './problem.ts';

const TOKEN_PATH = '/api/v1/identity/oauth/token';
const REVOKE_PATH = '/api/v1/identity/oauth/revoke';
const CLIENT_ID = 'console';
const STORAGE_KEY = 'souk.console.session';
/** How long before expiry the token is refreshed (half the lifetime for tokens shorter than twice this). */
const REFRESH_AHEAD_MS = 30_000;
/** After a refresh that failed for want of a network, the next try. */
const RETRY_MS = 10_000;
/** setTimeout's largest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const SESSION_ENDED = 'Your session has ended. Sign in again.';

export interface Session {
  email: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** When to refresh, epoch milliseconds. */
  refreshAt: number;
}

export interface SessionState {
  session: Session | null;
  /** Why the previous session ended, shown on the sign-in form. */
  notice: string | null;
}

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

function readStored(): Session | null {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (value === null || typeof value !== 'object') return null;
    const s = value as Partial<Session>;
    if (typeof s.email !== 'string' || typeof s.accessToken !== 'string' || typeof s.expiresAt !== 'number') return null;
    return {
      email: s.email,
      accessToken: s.accessToken,
      refreshToken: typeof s.refreshToken === 'string' ? s.refreshToken : null,
      expiresAt: s.expiresAt,
      refreshAt: typeof s.refreshAt === 'number' ? s.refreshAt : s.expiresAt - REFRESH_AHEAD_MS,
    };
  } catch {
    return null;
  }
}

function store(session: Session | null): void {
  try {
    if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (a private window's quota): the session still lives in memory.
  }
}

let state: SessionState = { session: readStored(), notice: null };
const listeners = new Set<() => void>();
let refreshing: Promise<Session | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

export function sessionState(): SessionState {
  return state;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function schedule(delayMs: number | null): void {
  clearTimeout(timer);
  if (delayMs === null) return;
  timer = setTimeout(
    () => {
      refresh().catch(() => schedule(RETRY_MS));
    },
    Math.min(Math.max(delayMs, 0), MAX_DELAY_MS),
  );
}

function update(next: SessionState): void {
  state = next;
  store(next.session);
  schedule(next.session?.refreshToken ? next.session.refreshAt - Date.now() : null);
  for (const listener of listeners) listener();
}

async function requestToken(form: Record<string, string>): Promise<TokenAnswer> {
  const response = await send(TOKEN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: PROBLEM_ACCEPT },
    body: new URLSearchParams({ ...form, client_id: CLIENT_ID }),
  });
  if (!response.ok) throw await problemError(response);
  return (await response.json()) as TokenAnswer;
}

function sessionOf(email: string, answer: TokenAnswer, previousRefreshToken: string | null): Session {
  const now = Date.now();
  const lifetimeMs = answer.expires_in * 1000;
  return {
    email,
    accessToken: answer.access_token,
    // A refresh answer without a new refresh token leaves the old one valid.
    refreshToken: answer.refresh_token ?? previousRefreshToken,
    expiresAt: now + lifetimeMs,
    refreshAt: now + lifetimeMs - Math.min(REFRESH_AHEAD_MS, lifetimeMs / 2),
  };
}

export async function signIn(email: string, password: string): Promise<void> {
  const answer = await requestToken({ grant_type: 'password', username: email, password });
  update({ session: sessionOf(email, answer, null), notice: null });
}

/** Forgets the tokens at once, and revokes the refresh token on the way out (a failure there changes nothing here). */
export function signOut(notice: string | null = null): void {
  const refreshToken = state.session?.refreshToken;
  update({ session: null, notice });
  if (!refreshToken) return;
  fetch(REVOKE_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: PROBLEM_ACCEPT },
    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: CLIENT_ID }),
    keepalive: true,
  }).catch(() => undefined);
}

/**
 * New tokens for the current session; one request however many callers ask at once. Resolves null when
 * the identity service refused the refresh token (the session is then over); rejects when it could not
 * be asked.
 */
export function refresh(): Promise<Session | null> {
  refreshing ??= (async () => {
    const current = state.session;
    if (!current?.refreshToken) {
      if (current) update({ session: null, notice: SESSION_ENDED });
      return null;
    }
    try {
      const answer = await requestToken({ grant_type: 'refresh_token', refresh_token: current.refreshToken });
      // Signed out (or in again) while the request ran: that newer state wins.
      if (state.session !== current) return state.session;
      const next = sessionOf(current.email, answer, current.refreshToken);
      update({ session: next, notice: null });
      return next;
    } catch (err) {
      if (isApiError(err) && err.status >= 400 && err.status < 500 && err.status !== 429) {
        if (state.session === current) update({ session: null, notice: SESSION_ENDED });
        return null;
      }
      throw err;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The access token to send, refreshed first when it is about to expire; null when nobody is signed in. */
export async function accessToken(): Promise<string | null> {
  const session = state.session;
  if (!session) return null;
  if (Date.now() < session.expiresAt - 5_000) return session.accessToken;
  return (await refresh())?.accessToken ?? null;
}

// A session restored from sessionStorage is refreshed on time like a new one.
if (state.session?.refreshToken) schedule(state.session.refreshAt - Date.now());
