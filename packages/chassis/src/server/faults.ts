// Fault injection from the live `faults` setting: a share of the service's API requests answered 503
// SOUK_FAULT_INJECTED, or each delayed, on every instance or on those of some releases only (a canary
// drill), on some paths only; and every handling of some event types failed, to watch them retried, parked
// and redriven. One mechanism for every service, set at the config server and audited there; health, metrics,
// /_admin and event feeds are never touched, so the platform still sees the instance as it is.

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { CommonSettings } from '../live-config/contract.ts';
import type { LiveSettings } from '../live-config/live-config.ts';
import { chassisErrors } from '../errors/index.ts';
import { isAdminRequest } from './admin-server.ts';
import type { App } from './app.ts';
import { sendProblem } from './problems.ts';
import { noteFailure } from './telemetry.ts';

export interface Faults {
  errorRate: number;
  delayMs: number;
  /** Path prefixes the faults are limited to; undefined: every /api/ path. */
  paths: readonly string[] | undefined;
}

/** The faults this instance injects under `setting`, or undefined for none. */
export function faultsFor(setting: CommonSettings['faults'], self: { release: string; instanceId: string }): Faults | undefined {
  if (!setting) return undefined;
  if (setting.releases !== undefined && !setting.releases.includes(self.release)) return undefined;
  if (setting.instances !== undefined && !setting.instances.includes(self.instanceId)) return undefined;
  const errorRate = setting.errorRate ?? 0;
  const delayMs = setting.delayMs ?? 0;
  return errorRate > 0 || delayMs > 0 ? { errorRate, delayMs, paths: setting.paths } : undefined;
}

/** The event types whose handling this instance fails on purpose under `setting`; undefined for none. */
export function eventFaultsFor(
  setting: CommonSettings['faults'],
  self: { release: string; instanceId: string },
): ReadonlySet<string> | undefined {
  if (!setting?.events?.length) return undefined;
  if (setting.releases !== undefined && !setting.releases.includes(self.release)) return undefined;
  if (setting.instances !== undefined && !setting.instances.includes(self.instanceId)) return undefined;
  return new Set(setting.events);
}

/** The error an event handling fails with under the faults setting, or undefined to handle it. */
export type EventFault = (type: string) => Error | undefined;

/** Whether a request is one faults apply to: the public API (or the part `paths` names), not health, feeds or admin. */
export function faultable(url: string, paths?: readonly string[]): boolean {
  return url.startsWith('/api/') && (paths === undefined || paths.some((p) => url.startsWith(p)));
}

/** Installs the request faults on `app`; answers the event faults for the event layer (handling.ts). */
export function installFaults(
  app: App,
  deps: { settings: LiveSettings; self: { release: string; instanceId: string }; metrics: Registry; random?: () => number },
): EventFault {
  const random = deps.random ?? Math.random;
  const injected = new Counter({
    name: 'souk_faults_injected_total',
    help: 'API requests failed or delayed on purpose by the faults setting, by kind.',
    labelNames: ['kind'],
    registers: [deps.metrics],
  });
  let faults = faultsFor(deps.settings.current().faults, deps.self);
  let failing = eventFaultsFor(deps.settings.current().faults, deps.self);
  deps.settings.onChange((settings) => {
    faults = faultsFor(settings.faults, deps.self);
    failing = eventFaultsFor(settings.faults, deps.self);
  });

  // A callback hook: with no faults set (always, outside drills) a request costs one comparison, no promise.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const now = faults;
    if (now === undefined || !faultable(request.url, now.paths) || isAdminRequest(request.raw)) return done();
    const fail = random() < now.errorRate;
    const finish = () => {
      if (!fail) return done();
      // Answered here, not thrown to the error handler: a drill's failures are expected, so they are not
      // logged as warnings, but the request's span still records them.
      const err = chassisErrors.faultInjected(
        `This instance fails ${Math.round(now.errorRate * 100)}% of API requests on purpose (the faults setting).`,
      );
      noteFailure(reply.raw, err, err.code);
      request.log.debug({ code: err.code }, err.detail);
      void sendProblem(reply, err, request.url.split('?')[0] ?? '/');
    };
    if (fail) injected.inc({ kind: 'error' });
    if (now.delayMs === 0) return finish();
    injected.inc({ kind: 'delay' });
    setTimeout(finish, now.delayMs);
  });
  return (type) => {
    if (!failing?.has(type)) return undefined;
    injected.inc({ kind: 'event' });
    return chassisErrors.faultInjected(`This instance fails every ${type} it handles on purpose (the faults setting's events).`);
  };
}
