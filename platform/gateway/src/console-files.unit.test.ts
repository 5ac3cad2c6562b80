import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { loadConsoleFiles, registerConsoleRoutes } from './console-files.ts';

test('the console: assets cached for good, index.html revalidated and answered for the console’s own paths, gzip, 304', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'souk-console-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'assets'));
  const html = `<!doctype html><title>souk console</title>${' '.repeat(600)}<script type="module" src="/console/assets/index-abc.js"></script>`;
  await writeFile(path.join(dir, 'index.html'), html);
  await writeFile(path.join(dir, 'assets', 'index-abc.js'), `console.log(${JSON.stringify('x'.repeat(2000))});`);
  const app = Fastify();
  registerConsoleRoutes(app, await loadConsoleFiles(dir));
  t.after(() => app.close());

  const redirect = await app.inject({ url: '/console' });
  assert.equal(redirect.statusCode, 308);
  assert.equal(redirect.headers.location, '/console/');

  const page = await app.inject({ url: '/console/traces/0123' });
  assert.equal(page.statusCode, 200);
  assert.equal(page.body, html);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  const again = await app.inject({ url: '/console/', headers: { 'if-none-match': String(page.headers.etag) } });
  assert.equal(again.statusCode, 304);

  const script = await app.inject({ url: '/console/assets/index-abc.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(script.statusCode, 200);
  assert.equal(script.headers['content-encoding'], 'gzip');
  assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(script.headers['content-type']), /^text\/javascript/);

  assert.equal((await app.inject({ url: '/console/assets/index-old.js' })).statusCode, 404);
  await assert.rejects(loadConsoleFiles(path.join(dir, 'assets')), /holds no index.html/);
});
