// How service log lines look in the terminal: compact pino rendering, prefixes, colour rules, raw files.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LogOutput, renderLine, useColor } from './log-output.ts';

const ESC = String.fromCharCode(0x1b);

const time = new Date(2025, 0, 2, 13, 4, 5, 67).getTime();
const plain = { color: false };

test('a pino line becomes time, level, message and the notable fields', () => {
  const line = JSON.stringify({
    level: 30,
    time,
    pid: 1,
    hostname: 'h',
    service: 'catalog',
    instance: 'catalog-1',
    trace_id: 'abc123',
    span_id: 'x',
    msg: 'product created',
    productId: 'p-1',
    count: 3,
  });
  assert.equal(renderLine(line, plain), '13:04:05.067 INFO  product created trace_id=abc123 productId=p-1 count=3');
});

test('request logs show method, url and status; strings with spaces are quoted', () => {
  const line = JSON.stringify({
    level: 30,
    time,
    msg: 'request completed',
    req: { method: 'GET', url: '/api/v1/x', headers: {} },
    res: { statusCode: 404 },
    responseTime: 1.5,
    note: 'two words',
  });
  assert.equal(
    renderLine(line, plain),
    '13:04:05.067 INFO  request completed req="GET /api/v1/x" status=404 responseTime=1.5 note="two words"',
  );
});

test('errors show their message, and at level error the stack frames on the following lines', () => {
  const line = JSON.stringify({
    level: 50,
    time,
    msg: 'boom',
    err: { type: 'Error', message: 'db down', stack: 'Error: db down\n    at a (x.ts:1:1)\n    at b (y.ts:2:2)' },
  });
  assert.equal(renderLine(line, plain), '13:04:05.067 ERROR boom err="db down"\n    at a (x.ts:1:1)\n    at b (y.ts:2:2)');
});

test('string levels, long values and non-JSON lines', () => {
  assert.match(renderLine(JSON.stringify({ level: 'warn', time, msg: 'slow' }), plain), /^13:04:05\.067 WARN {2}slow$/);
  const long = renderLine(JSON.stringify({ level: 30, time, msg: 'm', blob: 'x'.repeat(500) }), plain);
  assert.ok(long.length < 220 && long.endsWith('…'));
  assert.equal(renderLine('node:internal/modules/run_main:123', plain), 'node:internal/modules/run_main:123');
  assert.equal(renderLine('{"not":"a log record"}', plain), '{"not":"a log record"}');
});

test('colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
  assert.equal(useColor({ isTTY: true }, {}), true);
  assert.equal(useColor({ isTTY: false }, {}), false);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(useColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
  assert.match(renderLine(JSON.stringify({ level: 30, time, msg: 'hi' }), { color: true }), new RegExp(`${ESC}\\[32mINFO `));
});

test('terminal lines carry a padded instance prefix; files keep the raw line', async () => {
  const logsDir = await mkdtemp(path.join(tmpdir(), 'souk-logs-'));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const output = new LogOutput({ out, color: false, json: false, logsDir, names: ['registry-1', 'catalog-10'] });
  const raw = JSON.stringify({ level: 30, time, msg: 'listening' });
  output.processLine('registry-1', raw);
  output.processLine('registry-1', 'plain text');
  output.info('all ready');
  await output.close();
  assert.deepEqual(printed.trimEnd().split('\n'), [
    'registry-1 | 13:04:05.067 INFO  listening',
    'registry-1 | plain text',
    'devhost    | all ready',
  ]);
  assert.equal(await readFile(path.join(logsDir, 'registry-1.log'), 'utf8'), `${raw}\nplain text\n`);
  assert.match(await readFile(path.join(logsDir, 'devhost.log'), 'utf8'), /all ready/);
  await rm(logsDir, { recursive: true, force: true });
});

test('--json-logs prints the raw line', async () => {
  const logsDir = await mkdtemp(path.join(tmpdir(), 'souk-logs-'));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const output = new LogOutput({ out, color: false, json: true, logsDir, names: ['gateway-1'] });
  const raw = JSON.stringify({ level: 30, time, msg: 'x' });
  output.processLine('gateway-1', raw);
  await output.close();
  assert.equal(printed, `gateway-1 | ${raw}\n`);
  await rm(logsDir, { recursive: true, force: true });
});

test('log files are 0600; a terminalOnly line is printed and never written to a file', async () => {
  const logsDir = await mkdtemp(path.join(tmpdir(), 'souk-logs-'));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const output = new LogOutput({ out, color: false, json: false, logsDir, names: ['identity-1'], terminal: true });
  output.processLine('identity-1', 'raw line');
  output.info('visible everywhere');
  output.terminalOnly('the password is s3cret', 'the password is in a file');
  await output.close();
  assert.deepEqual(printed.trimEnd().split('\n'), [
    'identity-1 | raw line',
    'devhost    | visible everywhere',
    'devhost    | the password is s3cret',
  ]);
  assert.equal((await stat(path.join(logsDir, 'identity-1.log'))).mode & 0o777, 0o600);
  assert.equal((await stat(path.join(logsDir, 'devhost.log'))).mode & 0o777, 0o600);
  assert.doesNotMatch(await readFile(path.join(logsDir, 'devhost.log'), 'utf8'), /s3cret/);
  await rm(logsDir, { recursive: true, force: true });
});

test('output that is not a terminal (piped to a file, CI) gets the stand-in of a terminalOnly line', async () => {
  const logsDir = await mkdtemp(path.join(tmpdir(), 'souk-logs-'));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (c: Buffer) => (printed += c.toString()));
  const output = new LogOutput({ out, color: false, json: false, logsDir, names: ['identity-1'] });
  output.terminalOnly('the password is s3cret', 'the password is in a file');
  await output.close();
  assert.equal(printed.trimEnd(), 'devhost    | the password is in a file');
  await rm(logsDir, { recursive: true, force: true });
});
