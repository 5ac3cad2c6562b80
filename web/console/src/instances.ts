// What the instances page shows of the console's answer: the buttons each process state allows, a
// process's and a health's text, and the breakers and bulkheads worth a look (open or opened before, busy).

import { plural } from './format.ts';
import type { Breaker, Bulkhead, InstanceAction, InstancesAnswer, InstanceView, ProcessState } from './ops.ts';

/** The controls that make sense in a state, in the order they are shown. */
export function actionsFor(state: ProcessState): InstanceAction[] {
  switch (state) {
    case 'starting':
    case 'ready':
      return ['kill', 'pause', 'restart'];
    case 'paused':
      return ['resume', 'kill', 'restart'];
    case 'killed':
    case 'stopped':
    case 'backoff':
      return ['restart'];
    case 'stopping':
      // On its way down: the devhost finishes that first.
      return [];
  }
}

export const ACTION_LABELS: Readonly<Record<InstanceAction, string>> = {
  kill: 'Kill',
  pause: 'Pause',
  resume: 'Resume',
  restart: 'Restart',
};

const DONE: Readonly<Record<InstanceAction, string>> = {
  kill: 'killed',
  pause: 'paused',
  resume: 'resumed',
  restart: 'restarted',
};

/** `payments-1 killed`. */
export const outcomeText = (instanceId: string, action: InstanceAction) => `${instanceId} ${DONE[action]}`;

/** `ready · pid 1234 · 2 restarts`. */
export function processText(process: NonNullable<InstanceView['process']>): string {
  const pid = process.pid === null ? '' : ` · pid ${process.pid}`;
  return `${process.state}${pid} · ${plural(process.restarts, 'restart', 'restarts')}`;
}

/** A readiness check's text when it passes (the chassis answers `up`, or `down: why`). */
const PASSING: ReadonlySet<string> = new Set(['up']);

/** Why an instance is not up: its failing checks, or why it could not be asked; '' when there is nothing to say. */
export function healthDetail(instance: InstanceView): string {
  const failing = Object.entries(instance.checks)
    .filter(([, text]) => !PASSING.has(text))
    .map(([name, text]) => `${name}: ${text}`);
  if (instance.error !== null) failing.push(instance.error);
  if (instance.health === 'unreachable' && failing.length === 0) return 'no answer';
  return failing.join('; ');
}

/** Why the devhost's control could not be asked, when the console has one. */
export function controlErrorOf(answer: InstancesAnswer): string | null {
  return answer.controlError ? answer.controlError : null;
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** By service, then instance (payments-2 before payments-10). */
export function sortInstances(instances: readonly InstanceView[]): InstanceView[] {
  return [...instances].sort((a, b) => byName(a.service, b.service) || byName(a.instanceId, b.instanceId));
}

export interface BreakerRow {
  /** The instance whose breaker it is. */
  caller: string;
  breaker: Breaker;
}

const STATE_ORDER: Readonly<Record<Breaker['state'], number>> = { open: 0, 'half-open': 1, closed: 2 };

/** The breakers not closed or that opened at least once: open first, then the last opened first. */
export function breakerRows(instances: readonly InstanceView[]): BreakerRow[] {
  return instances
    .flatMap((instance) =>
      instance.breakers
        .filter((breaker) => breaker.state !== 'closed' || breaker.openings > 0)
        .map((breaker) => ({ caller: instance.instanceId, breaker })),
    )
    .sort(
      (a, b) =>
        STATE_ORDER[a.breaker.state] - STATE_ORDER[b.breaker.state] ||
        (b.breaker.lastOpenedAt ?? 0) - (a.breaker.lastOpenedAt ?? 0) ||
        byName(a.caller, b.caller) ||
        byName(a.breaker.instanceId, b.breaker.instanceId),
    );
}

export interface BulkheadRow {
  caller: string;
  bulkhead: Bulkhead;
}

/** The bulkheads with calls in flight or waiting. */
export function bulkheadRows(instances: readonly InstanceView[]): BulkheadRow[] {
  return instances.flatMap((instance) =>
    instance.bulkheads
      .filter((bulkhead) => bulkhead.active > 0 || bulkhead.queued > 0)
      .map((bulkhead) => ({ caller: instance.instanceId, bulkhead })),
  );
}
