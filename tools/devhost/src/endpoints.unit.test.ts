// The start-up summary: the first-start admin password reaches the terminal and no log file.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LogOutput } from './log-output.ts';
import { printSummary, summaryLines, type SummaryInput } from './endpoints.ts';

const input: SummaryInput = {
  endpoints: {
    gateway: 'http://localhost:8080',
    services: { registry: ['http://127.0.0.1:8761'], catalog: ['http://127.0.0.1:41000'] },
    admin: { registry: ['http://127.0.0.1:41001'], catalog: ['http://127.0.0.1:41002'] },
  },
  adminPasswordFile: '/d/secrets/admin-password',
  newAdminPassword: 'Pw-only-for-the-terminal',
  database: 'embedded PostgreSQL 127.0.0.1:5555',
  endpointsFile: '/d/endpoints.json',
  logsDir: '/d/logs',
  totalMs: 5_400,
};

test('only the first-start password line is marked secret', () => {
  const lines = summaryLines(input);
  assert.deepEqual(
    lines.filter((l) => l.text.includes(input.newAdminPassword!)).map((l) => l.secret),
    [true],
  );
  assert.ok(lines.filter((l) => !l.secret).every((l) => !l.text.includes(input.newAdminPassword!)));
  assert.ok(!summaryLines({ ...input, newAdminPassword: undefined }).some((l) => l.secret || l.text.includes('first start')));
});

test('the first-start password is printed but never written to logs/devhost.log', async () => {
  const logsDir = await mkdtemp(path.join(tmpdir(), 'souk-summary-'));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const output = new LogOutput({ out, color: false, json: false, logsDir, names: ['registry-1'], terminal: true });
  printSummary(output, summaryLines(input));
  await output.close();
  assert.match(printed, /first start: the password is Pw-only-for-the-terminal/);
  assert.match(printed, /souk is ready in 5\.4 s/);
  const logged = await readFile(path.join(logsDir, 'devhost.log'), 'utf8');
  assert.match(logged, /souk is ready in 5\.4 s/);
  assert.match(logged, /password in \/d\/secrets\/admin-password/);
  assert.doesNotMatch(logged, /Pw-only-for-the-terminal/);
  await rm(logsDir, { recursive: true, force: true });
});

test('the memory at ready is one summary line: PSS, RSS and how many processes', () => {
  const lines = summaryLines({ ...input, memory: { pssMb: 1234.4, rssMb: 2345.6, processes: 31 } }).map((l) => l.text);
  assert.ok(
    lines.some((l) => /memory\s+1234 MB PSS \(2346 MB RSS\) in 31 processes$/.test(l)),
    lines.join('\n'),
  );
  assert.ok(!summaryLines(input).some((l) => l.text.includes('MB PSS')));
});
