// Header handling: hop-by-hop headers removed both ways, forwarding headers
// set, request id and trace context replaced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientResponseHeaders, upstreamRequestHead, type ForwardingInfo, type RequestTarget } from './headers.ts';

function fakeRequest(rawHeaders: string[], remoteAddress = '203.0.113.7'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return { rawHeaders, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const TARGET: RequestTarget = { method: 'GET', path: '/api/v1/x', host: '127.0.0.1:4000', bodyLength: undefined };

/** The head's header lines as [name, value, ...], after checking its framing. */
function upstreamRequestHeaders(req: IncomingMessage, info: ForwardingInfo, target = TARGET): string[] {
  const head = upstreamRequestHead(req, target, info);
  assert.ok(head.endsWith('\r\n\r\n'), 'the head ends with a blank line');
  const [line, ...rest] = head.slice(0, -4).split('\r\n');
  assert.equal(line, `${target.method} ${target.path} HTTP/1.1`);
  return rest.flatMap((l) => {
    const colon = l.indexOf(': ');
    return [l.slice(0, colon), l.slice(colon + 2)];
  });
}

function asMap(flat: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) {
    const key = flat[i]!.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), flat[i + 1]!]);
  }
  return map;
}

test('end-to-end headers pass upstream unchanged, casing and repeats kept', () => {
  const out = upstreamRequestHeaders(
    fakeRequest(['Host', 'shop.example', 'Authorization', 'Bearer abc', 'Accept', 'a/b', 'X-Custom', '1', 'x-custom', '2']),
    { requestId: 'req-1' },
  );
  assert.deepEqual(out.slice(0, 8), ['host', '127.0.0.1:4000', 'Authorization', 'Bearer abc', 'Accept', 'a/b', 'X-Custom', '1']);
  assert.deepEqual(asMap(out).get('x-custom'), ['1', '2']);
});

test('hop-by-hop headers, and those Connection names, are not forwarded', () => {
  const out = asMap(
    upstreamRequestHeaders(
      fakeRequest([
        'Connection',
        'keep-alive, X-Secret-Hop',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'Transfer-Encoding',
        'chunked',
        'Upgrade',
        'h2c',
        'Proxy-Authorization',
        'Basic x',
        'X-Secret-Hop',
        'y',
        'Content-Length',
        '12',
        'Expect',
        '100-continue',
        'Content-Type',
        'application/json',
      ]),
      { requestId: 'r' },
    ),
  );
  for (const name of [
    'connection',
    'keep-alive',
    'te',
    'transfer-encoding',
    'upgrade',
    'proxy-authorization',
    'x-secret-hop',
    'content-length',
    'expect',
  ]) {
    assert.equal(out.has(name), false, name);
  }
  assert.deepEqual(out.get('content-type'), ['application/json']);
  assert.deepEqual(out.get('host'), ['127.0.0.1:4000'], "the upstream's own host, not the client's");
});

test("content-length is the buffered body's; a POST without a body says 0, a GET says nothing", () => {
  const req = fakeRequest(['Content-Length', '999', 'Content-Type', 'application/json']);
  const post = { ...TARGET, method: 'POST' };
  assert.deepEqual(asMap(upstreamRequestHeaders(req, { requestId: 'r' }, { ...post, bodyLength: 12 })).get('content-length'), [
    '12',
  ]);
  assert.deepEqual(asMap(upstreamRequestHeaders(req, { requestId: 'r' }, post)).get('content-length'), ['0']);
  assert.equal(asMap(upstreamRequestHeaders(fakeRequest([]), { requestId: 'r' })).has('content-length'), false);
});

test('the forwarding headers describe the client; X-Forwarded-For is appended to', () => {
  const out = asMap(
    upstreamRequestHeaders(
      fakeRequest(['Host', 'shop.example:8080', 'X-Forwarded-For', '198.51.100.1', 'X-Forwarded-Proto', 'ftp']),
      {
        requestId: 'r',
      },
    ),
  );
  assert.deepEqual(out.get('x-forwarded-for'), ['198.51.100.1, 203.0.113.7']);
  assert.deepEqual(out.get('x-forwarded-proto'), ['http']);
  assert.deepEqual(out.get('x-forwarded-host'), ['shop.example:8080']);
});

test("request id and trace context are the gateway's, not the client's", () => {
  const out = asMap(
    upstreamRequestHeaders(fakeRequest(['X-Request-Id', 'client-id', 'traceparent', '00-aaaa-bbbb-01', 'tracestate', 'x=y']), {
      requestId: 'gw-id',
      traceparent: '00-1111-2222-01',
    }),
  );
  assert.deepEqual(out.get('x-request-id'), ['gw-id']);
  assert.deepEqual(out.get('traceparent'), ['00-1111-2222-01']);
  assert.equal(out.has('tracestate'), false);
});

test('response headers lose hop-by-hop headers and gain the request id; repeated ones stay repeated', () => {
  const headers = clientResponseHeaders(
    [
      'Connection',
      'keep-alive, X-Hop',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'X-Hop',
      '1',
      'Content-Type',
      'application/json',
      'Set-Cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'X-Request-Id',
      'upstream-id',
    ],
    'req-9',
  );
  assert.deepEqual(headers, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'req-9' });
});
