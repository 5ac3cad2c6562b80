// Spans leave the process over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is
// set: a fake collector on loopback receives the server and SQL spans of one
// request, in the request's trace. (Own file: the tracer provider is per process.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startService } from '../src/index.ts';
import { createTestDatabase } from '../src/testing/index.ts';
import { notesService } from './notes-service.ts';

interface OtlpSpan {
  traceId: string;
  name: string;
  kind: number;
}

test("server and SQL spans are exported over OTLP/HTTP in the caller's trace", async () => {
  const received: { path: string; body: string }[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const database = await createTestDatabase('otlp');
  const svc = await startService(notesService, {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
  });
  try {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await request(`${svc.url}/api/v1/notes/00000000-0000-4000-8000-000000000000`, {
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    assert.equal(res.statusCode, 404);
    await res.body.dump();
    await svc.stop(); // flushes the batch processor: no waiting on its timer

    assert.ok(received.length > 0, 'the collector received an export');
    assert.ok(received.every((r) => r.path === '/v1/traces'));
    const spans: OtlpSpan[] = received.flatMap((r) =>
      (JSON.parse(r.body).resourceSpans ?? []).flatMap((rs: { scopeSpans: { spans: OtlpSpan[] }[] }) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      ),
    );
    const ours = spans.filter((s) => s.traceId === traceId);
    assert.ok(
      ours.some((s) => s.name === 'GET /api/v1/notes/:id' && s.kind === 2),
      'a SERVER span named after the route',
    );
    assert.ok(
      ours.some((s) => s.name === 'db SELECT' && s.kind === 3),
      'a CLIENT span for the query',
    );
    assert.match(received[0]!.body, /"service\.name"/);
  } finally {
    await svc.stop();
    await database.drop();
    collector.close();
  }
});
