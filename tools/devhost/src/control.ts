// The devhost's control listener: what the console's instances page asks of the processes the devhost
// runs (their state, pid and restarts) and does to them (kill, pause, resume, restart). Mutual TLS with the
// devhost's own certificate, answering only the certificates of CONTROL_CALLERS (the console's), so that no
// other process on the machine, nor another service, can kill an instance. It answers the console only, in
// plain JSON (`{ reason, detail }` on a refusal); the console turns that into its own problem documents.
// Without mutual TLS (--no-mtls) there is no listener: the console then offers no buttons.

import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { callerIdentity } from '@souk/chassis/spiffe';
import type { ClientTls } from './certificates.ts';
import { ActionRefused, type ManagedInstance, type OperatorAction } from './supervisor.ts';

/** The services whose certificates may call the control listener. */
export const CONTROL_CALLERS: ReadonlySet<string> = new Set(['console']);

const ACTIONS: readonly OperatorAction[] = ['kill', 'pause', 'resume', 'restart'];

export interface ControlledInstance {
  instanceId: string;
  service: string;
  state: ManagedInstance['state'];
  pid: number | null;
  restarts: number;
  startedAt: string | null;
  url: string;
  adminUrl: string;
}

export type ControlRefusal = 'forbidden' | 'not-found' | 'unknown-instance' | 'refused';

export interface ControlDeps {
  instances: () => readonly ManagedInstance[];
  /** The devhost's current certificate (it is reissued at half its life). */
  tls: () => ClientTls;
  stopTimeoutMs: number;
  info: (message: string) => void;
  callers?: ReadonlySet<string>;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export function describeInstance(i: ManagedInstance): ControlledInstance {
  return {
    instanceId: i.instanceId,
    service: i.spec.service,
    state: i.state,
    pid: i.pid ?? null,
    restarts: i.restarts,
    startedAt: i.startedAtMs === undefined ? null : new Date(i.startedAtMs).toISOString(),
    url: i.spec.url,
    adminUrl: i.spec.adminUrl,
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const refuse = (res: ServerResponse, status: number, reason: ControlRefusal, detail: string) =>
  answer(res, status, { reason, detail });

/** Listens on 127.0.0.1:`port` (0: any free port). */
export async function startControlServer(deps: ControlDeps, port: number): Promise<ControlServer> {
  const callers = deps.callers ?? CONTROL_CALLERS;
  let current = deps.tls();
  const server: Server = createServer({ ...current, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    // The devhost's certificate is reissued at half its life: later connections get the new one.
    const latest = deps.tls();
    if (latest !== current) {
      current = latest;
      server.setSecureContext({ ...latest });
    }
    const caller = callerIdentity(req);
    if (!caller || !callers.has(caller.service))
      return refuse(res, 403, 'forbidden', `The devhost's control answers ${[...callers].join(', ')} only.`);
    const url = new URL(req.url ?? '/', 'https://devhost');
    if (req.method === 'GET' && url.pathname === '/instances')
      return answer(res, 200, { instances: deps.instances().map(describeInstance) });
    const action = /^\/instances\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !action || !ACTIONS.includes(action[2] as OperatorAction))
      return refuse(res, 404, 'not-found', `No ${req.method} ${url.pathname} here.`);
    req.resume();
    const instanceId = decodeURIComponent(action[1]!);
    const instance = deps.instances().find((i) => i.instanceId === instanceId);
    if (!instance) return refuse(res, 404, 'unknown-instance', `The devhost runs no instance ${instanceId}.`);
    const verb = action[2] as OperatorAction;
    deps.info(`${instanceId}: ${verb} asked by ${caller.instanceId ?? caller.service}`);
    instance.operate(verb, deps.stopTimeoutMs).then(
      (state) => answer(res, 200, { instanceId, state }),
      (err: unknown) =>
        err instanceof ActionRefused
          ? refuse(res, 409, 'refused', err.message)
          : refuse(res, 409, 'refused', `${instanceId}: ${err instanceof Error ? err.message : String(err)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
