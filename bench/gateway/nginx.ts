// Optional reference for the gateway benchmark: nginx as a reverse proxy in
// front of the same upstream, doing comparable work (keep-alive upstream pool,
// X-Forwarded-* and request id headers). Used when nginx is installed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The nginx binary to use: BENCH_NGINX, else `nginx` when it is on the PATH; undefined when there is none. */
export function findNginx(env: Record<string, string | undefined>): string | undefined {
  if (env.BENCH_NGINX === '0') return undefined;
  const candidate = env.BENCH_NGINX ?? 'nginx';
  const probe = spawnSync(candidate, ['-v'], { stdio: 'ignore' });
  return probe.error || probe.status !== 0 ? undefined : candidate;
}

/** Starts nginx in the foreground with a throw-away prefix directory; the caller stops the child. */
export function startNginx(binary: string, options: { port: number; upstream: string; workers: number }): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'souk-bench-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const upstream = new URL(options.upstream);
  const conf = `
daemon off;
worker_processes ${options.workers};
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 1m;
  upstream catalog {
    server ${upstream.host};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${options.port};
    location /api/v1/catalog/ {
      proxy_pass http://catalog;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Request-Id $request_id;
      add_header X-Request-Id $request_id;
    }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return spawn(binary, ['-p', dir, '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
}
