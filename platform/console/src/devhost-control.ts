// The client of the devhost's control listener (tools/devhost/src/control.ts): the processes it runs and
// the operator's actions on them. Mutual TLS: the console presents its certificate and accepts only the
// devhost's. Its refusals (`{ reason, detail }`) become the console's own problem documents.

import { tlsFetch, type ServiceTls } from '@souk/chassis';
import { consoleErrors } from './errors.ts';

export type ProcessState = 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped' | 'paused' | 'killed';
export type InstanceAction = 'kill' | 'pause' | 'resume' | 'restart';

/** A process as the devhost reports it. */
export interface ProcessView {
  instanceId: string;
  service: string;
  state: ProcessState;
  pid: number | null;
  restarts: number;
  startedAt: string | null;
  url: string;
  adminUrl: string;
}

export interface DevhostControl {
  processes(): Promise<ProcessView[]>;
  act(instanceId: string, action: InstanceAction): Promise<{ instanceId: string; state: ProcessState }>;
  close(): Promise<void>;
}

/** The devhost's SPIFFE service name: the only certificate the control client accepts. */
const DEVHOST = 'devhost';

export function createDevhostControl(url: string, tls: ServiceTls | undefined, timeoutMs: number): DevhostControl {
  const secured = tls ? tlsFetch(tls, DEVHOST) : undefined;
  const fetcher = secured?.fetch ?? globalThis.fetch;

  async function send(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetcher(`${url}${path}`, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
    } catch (err) {
      throw consoleErrors.unreachable({
        detail: `The devhost's control at ${url} did not answer (${err instanceof Error ? err.message : String(err)}).`,
        headers: { 'retry-after': '1' },
      });
    }
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  return {
    async processes() {
      const { status, body } = await send('GET', '/instances');
      if (status !== 200)
        throw consoleErrors.noControl({
          detail: `The devhost refused the console: ${typeof body.detail === 'string' ? body.detail : status}`,
        });
      return body.instances as ProcessView[];
    },
    async act(instanceId, action) {
      const { status, body } = await send('POST', `/instances/${encodeURIComponent(instanceId)}/${action}`);
      if (status === 200) return body as { instanceId: string; state: ProcessState };
      const detail = typeof body.detail === 'string' ? body.detail : `The devhost answered ${status}.`;
      if (body.reason === 'unknown-instance') throw consoleErrors.instanceNotFound({ detail });
      if (body.reason === 'refused') throw consoleErrors.actionRefused({ detail });
      throw consoleErrors.noControl({ detail });
    },
    close: async () => secured?.close(),
  };
}
