// The API answers errors as RFC 9457 problem documents (the OAuth endpoints add error_description): read
// here into an Error whose message is the document's detail, a sentence a person can read.

export const PROBLEM_ACCEPT = 'application/problem+json, application/json;q=0.9';

export interface ApiError extends Error {
  /** The HTTP status; 0 when the server could not be reached. */
  status: number;
  /** The problem's stable code (`SOUK_…`), when it has one. */
  code: string | undefined;
  /** The whole problem document (its own members: `errors`, `current`…), when the answer was one. */
  problem: Record<string, unknown> | undefined;
}

export function apiError(message: string, status: number, code?: string, problem?: Record<string, unknown>): ApiError {
  return Object.assign(new Error(message), { name: 'ApiError', status, code, problem });
}

/** Checked by marker, not instanceof (the STYLE's rule for errors). */
export function isApiError(err: unknown): err is ApiError {
  return err instanceof Error && typeof (err as Partial<ApiError>).status === 'number';
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

const stringOf = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** The error a failed response stands for: the problem's detail (or title), never the raw body. */
export async function problemError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const problem = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const message =
    stringOf(problem.detail) ??
    stringOf(problem.error_description) ??
    stringOf(problem.title) ??
    `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
  return apiError(
    message,
    response.status,
    stringOf(problem.code),
    body !== null && typeof body === 'object' ? problem : undefined,
  );
}

/** fetch, with a network failure told as a sentence; an abort is passed on as it is. */
export async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw apiError('The server cannot be reached; check the connection and try again.', 0);
  }
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
