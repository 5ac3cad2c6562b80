// The instances page's rows: every instance the registry lists, beside every process the devhost runs
// (a killed or paused one has left the registry, but is still the operator's to restart), each with its
// health and the breakers and bulkheads of its outgoing calls, read from its admin listener. A process the
// devhost reports paused, killed or waiting to restart is not asked: it would only time out.

import type { ServiceInstance } from '@souk/chassis';
import { adminUrlOf, type AdminClient } from './admin-client.ts';
import type { ProcessState, ProcessView } from './devhost-control.ts';

export interface InstanceRow {
  instanceId: string;
  service: string;
  version: string | null;
  zone: string | null;
  release: string | null;
  url: string | null;
  adminUrl: string | null;
  registered: boolean;
  process: { state: ProcessState; pid: number | null; restarts: number; startedAt: string | null } | null;
}

export interface InstanceView extends Omit<InstanceRow, 'adminUrl'> {
  health: 'up' | 'down' | 'unreachable';
  checks: Record<string, string>;
  breakers: unknown[];
  bulkheads: unknown[];
  error: string | null;
}

/** Registered instances and the devhost's processes, one row per instance id, sorted by service then id. */
export function mergeInstances(
  registered: readonly ServiceInstance[],
  processes: readonly ProcessView[] | undefined,
): InstanceRow[] {
  const rows = new Map<string, InstanceRow>();
  for (const i of registered) {
    rows.set(i.instanceId, {
      instanceId: i.instanceId,
      service: i.service,
      version: i.version,
      zone: i.zone,
      release: i.metadata.release ?? null,
      url: i.url,
      adminUrl: adminUrlOf(i) ?? null,
      registered: true,
      process: null,
    });
  }
  for (const p of processes ?? []) {
    const process = { state: p.state, pid: p.pid, restarts: p.restarts, startedAt: p.startedAt };
    const row = rows.get(p.instanceId);
    if (row) row.process = process;
    else
      rows.set(p.instanceId, {
        instanceId: p.instanceId,
        service: p.service,
        version: null,
        zone: null,
        release: null,
        url: p.url,
        adminUrl: p.adminUrl,
        registered: false,
        process,
      });
  }
  return [...rows.values()].sort((a, b) => a.service.localeCompare(b.service) || a.instanceId.localeCompare(b.instanceId));
}

/** Process states in which the admin listener cannot answer. */
const NOT_RUNNING: ReadonlySet<ProcessState> = new Set(['paused', 'killed', 'backoff', 'stopped']);

const objectOf = (body: unknown): Record<string, unknown> =>
  body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};

/** One row's health (the admin listener's detailed /health/ready) and resilience snapshot, asked in parallel. */
export async function probeInstance(admin: AdminClient, row: InstanceRow): Promise<InstanceView> {
  const { adminUrl, ...rest } = row;
  const view: InstanceView = { ...rest, health: 'unreachable', checks: {}, breakers: [], bulkheads: [], error: null };
  if (row.process && NOT_RUNNING.has(row.process.state)) {
    view.error = `the process is ${row.process.state}`;
    return view;
  }
  if (!adminUrl) {
    view.error = 'it registered no admin listener';
    return view;
  }
  const [health, resilience] = await Promise.allSettled([
    admin.call(row.service, adminUrl, '/health/ready'),
    admin.call(row.service, adminUrl, '/_admin/resilience'),
  ]);
  if (health.status === 'rejected') {
    view.error = health.reason instanceof Error ? health.reason.message : String(health.reason);
    return view;
  }
  const body = objectOf(health.value.body);
  view.health = health.value.status === 200 ? 'up' : 'down';
  view.checks = (objectOf(body.checks) as Record<string, string>) ?? {};
  if (view.health === 'down' && typeof body.detail === 'string') view.error = body.detail;
  if (resilience.status === 'fulfilled' && resilience.value.status === 200) {
    const snapshot = objectOf(resilience.value.body);
    view.breakers = Array.isArray(snapshot.breakers) ? snapshot.breakers : [];
    view.bulkheads = Array.isArray(snapshot.bulkheads) ? snapshot.bulkheads : [];
  }
  return view;
}
