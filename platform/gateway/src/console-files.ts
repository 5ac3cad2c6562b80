// The operations console's static files at /console: read once at start from GATEWAY_CONSOLE_DIR (the
// devhost's build of web/console; a few hundred kilobytes) and served from memory, gzipped when the
// browser takes it. Hashed assets are cached for a year; index.html is revalidated (its ETag), and every
// other path under /console answers it too, so the console's own routes survive a reload. A strict
// Content-Security-Policy: the console runs only its own scripts and talks only to this origin.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { App } from '@souk/chassis';

export const CONSOLE_PREFIX = '/console';

interface ConsoleFile {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
  etag: string;
  immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Every file under `dir`, by its URL path below /console (`/index.html`, `/assets/index-3f2a.js`). */
export async function loadConsoleFiles(dir: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  async function walk(current: string): Promise<void> {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      const body = await readFile(full);
      const type = TYPES[path.extname(entry.name)] ?? 'application/octet-stream';
      const compressible = /^text\/|svg|json/.test(type) && body.length > 512;
      const urlPath = `/${path.relative(dir, full).split(path.sep).join('/')}`;
      files.set(urlPath, {
        body,
        gzipped: compressible ? gzipSync(body, { level: 9 }) : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        // Vite names what it builds under assets/ by content hash: a new build is a new name.
        immutable: urlPath.startsWith('/assets/'),
      });
    }
  }
  await walk(dir);
  if (!files.has('/index.html')) throw new Error(`GATEWAY_CONSOLE_DIR ${dir} holds no index.html: build web/console first`);
  return files;
}

export function registerConsoleRoutes(app: App, files: ReadonlyMap<string, ConsoleFile>): void {
  const index = files.get('/index.html')!;
  app.get(CONSOLE_PREFIX, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 308));
  app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, async (request, reply) => {
    const wanted = (request.params as { '*': string })['*'];
    const asset = files.get(`/${wanted}`);
    // An asset that is not there is a 404 (a stale page asking for an old build's file); any other path is
    // one of the console's own pages.
    if (!asset && wanted.startsWith('assets/')) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    const file = asset ?? index;
    reply.headers(SECURITY_HEADERS);
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('etag', file.etag);
    reply.header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    reply.type(file.type);
    if (file.gzipped && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
      reply.header('content-encoding', 'gzip');
      return reply.send(file.gzipped);
    }
    return reply.send(file.body);
  });
}
