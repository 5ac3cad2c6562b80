// One HTTP call helper for integration tests: JSON in, status, headers, text
// and parsed JSON out, plus the assertion every service makes about problems.

import assert from 'node:assert/strict';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // Tests read whatever the API answered; the routes check the contract types.
  json: any;
}

export interface CallOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (malformed bodies). */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Content type of a body (default application/json). */
  contentType?: string;
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= options.contentType ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const isJson = /json/.test(res.headers.get('content-type') ?? '');
  return { status: res.status, headers: res.headers, text, json: isJson && text ? JSON.parse(text) : undefined };
}

/** An RFC 9457 problem with the given status and souk code. */
export function assertProblem(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.json.code, code, res.text);
  assert.equal(res.json.status, status);
  assert.equal(res.json.type, `urn:souk:problem:${code}`);
  assert.equal(typeof res.json.detail, 'string');
}
