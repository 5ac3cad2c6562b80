// A stand-in for HashiCorp Vault, because Vault itself cannot run here (no package in the
// registries this project reaches, no container runtime). It implements exactly one endpoint
// as Vault's API documentation describes it: reading a KV version 2 secret,
// GET /v1/<mount>/data/<path> with the X-Vault-Token header, answering
// { data: { data: {...}, metadata: {...} } } (403 {"errors":["permission denied"]} for a bad token,
// 404 {"errors":[]} for a path with no secret). Nothing else of Vault is imitated.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VaultStandInOptions {
  /** The only token accepted. */
  token: string;
  /** Mount path of the KV v2 engine; Vault's dev server mounts it at `secret`. */
  mount?: string;
  /** Secret path under the mount → its key/value pairs. */
  entries: Record<string, Record<string, unknown>>;
}

export interface VaultStandIn {
  url: string;
  /** Every request seen: method, path and whether it carried the right token. */
  readonly requests: { method: string; path: string; tokenValid: boolean }[];
  close(): Promise<void>;
}

export async function startVaultStandIn(options: VaultStandInOptions): Promise<VaultStandIn> {
  const mount = options.mount ?? 'secret';
  const requests: VaultStandIn['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    const tokenValid = req.headers['x-vault-token'] === options.token;
    requests.push({ method: req.method ?? '', path: url.pathname, tokenValid });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (!tokenValid) return send(403, { errors: ['permission denied'] });
    const prefix = `/v1/${mount}/data/`;
    if (req.method !== 'GET' || !url.pathname.startsWith(prefix)) return send(404, { errors: [] });
    const data = options.entries[decodeURIComponent(url.pathname.slice(prefix.length))];
    if (!data) return send(404, { errors: [] });
    send(200, {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: {
        data,
        metadata: {
          created_time: '2026-01-01T00:00:00.000000Z',
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version: 1,
        },
      },
      wrap_info: null,
      warnings: null,
      auth: null,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
