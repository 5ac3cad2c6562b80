// The gateway's releases at run time: the plan per service from the `releases` setting, the route of
// each request under it, and the canary analysis, which watches every attempt sent to a canary or to its
// stable side and acts on its verdicts. A rollback takes effect here at once (before the config server has
// it) and is then written to the config server, where the audit keeps who (the gateway), what and why.

import type { Logger, ServiceInstance } from '@souk/chassis';
import { emptyStats, judge, type SideStats } from './analysis.ts';
import { planOf, route, sideOf, type ReleasePlan, type ReleaseSetting, type ReleasesSetting, type Routed } from './policy.ts';

/** How often open windows are judged: a failing canary is rolled back within about a second of enough evidence. */
export const ANALYSIS_TICK_MS = 1_000;

/** A decision to write: `next` replaces the service's setting, provided it is still `from` (JSON) there. */
export interface ReleaseChange {
  service: string;
  from: string;
  next: ReleaseSetting | undefined;
  reason: string;
}

export interface ReleaseControllerDeps {
  now(): number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Writes a change to the config server (audited); rejects when it could not. */
  write(change: ReleaseChange): Promise<void>;
  /** Counts a decision of the analysis. */
  onDecision?(service: string, decision: 'rollback' | 'step' | 'promote'): void;
}

interface Window {
  startedAt: number;
  release: string;
  weight: number;
  canary: SideStats;
  stable: SideStats;
}

export interface ReleaseView {
  service: string;
  plan: ReleasePlan;
  /** Set when the analysis changed the plan here and the config server has not confirmed it yet. */
  pendingChange?: string;
  window?: { ageMs: number; canary: SideStats; stable: SideStats };
}

export interface ReleaseController {
  /** The route of a request for `service`; undefined when no plan names it (every stable instance takes it). */
  route(service: string, instances: readonly ServiceInstance[], caller: string): Routed | undefined;
  /**
   * The release a caller's requests for `service` go to ('' when no plan names the service): what the
   * response cache keys its entries by, so a canary's answers are never served to the stable side's users.
   */
  sideOf(service: string, caller: string): string;
  /** Whether attempts to `service` are analysed (a canary with an analysis takes traffic). */
  analysed(service: string): boolean;
  /** One attempt's result, for the analysis. */
  observe(service: string, release: string, failed: boolean, ms: number): void;
  /** The settings' `releases` changed (or were first read). */
  configure(releases: ReleasesSetting | undefined): void;
  /** Judges every open window now (the timer calls it; tests too). */
  tick(): void;
  view(): ReleaseView[];
  close(): void;
}

const json = (value: unknown) => JSON.stringify(value ?? null);

export function createReleaseController(deps: ReleaseControllerDeps): ReleaseController {
  let settings: ReleasesSetting = {};
  const plans = new Map<string, ReleasePlan>();
  /** Decisions applied here before the config server confirmed them: the setting they replace, and theirs. */
  const overrides = new Map<string, { from: string; next: ReleaseSetting | undefined; reason: string }>();
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;

  function rebuild(): void {
    plans.clear();
    const services = new Set([...Object.keys(settings), ...overrides.keys()]);
    for (const service of services) {
      const override = overrides.get(service);
      const setting = override ? override.next : settings[service];
      if (setting !== undefined) plans.set(service, planOf(setting));
    }
    for (const [service, plan] of plans) {
      const canary = plan.canary;
      const window = windows.get(service);
      if (canary?.analysis === undefined || canary.weight === 0 || canary.release === plan.active) {
        windows.delete(service);
      } else if (!window || window.release !== canary.release || window.weight !== canary.weight) {
        windows.set(service, fresh(canary.release, canary.weight));
      }
    }
    for (const service of windows.keys()) if (!plans.has(service)) windows.delete(service);
    if (windows.size > 0 && timer === undefined) {
      timer = setInterval(() => controller.tick(), ANALYSIS_TICK_MS);
      timer.unref();
    } else if (windows.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  function fresh(release: string, weight: number): Window {
    return { startedAt: deps.now(), release, weight, canary: emptyStats(), stable: emptyStats() };
  }

  function decide(service: string, next: ReleaseSetting | undefined, reason: string, level: 'info' | 'warn'): void {
    const from = json(settings[service]);
    overrides.set(service, { from, next, reason });
    rebuild();
    deps.log[level]({ service, release: next }, `canary analysis: ${reason}`);
    deps.write({ service, from, next, reason }).catch((err: unknown) => {
      // The decision stays in force here; the config server still shows the old setting until someone sets it.
      deps.log.error({ err, service }, 'canary analysis: the decision could not be written to the config server');
    });
  }

  const controller: ReleaseController = {
    route(service, instances, caller) {
      const plan = plans.get(service);
      return plan === undefined ? undefined : route(plan, instances, caller);
    },

    sideOf(service, caller) {
      const plan = plans.get(service);
      return plan === undefined ? '' : sideOf(plan, caller);
    },

    analysed: (service) => windows.has(service),

    observe(service, release, failed, ms) {
      const window = windows.get(service);
      if (window === undefined) return;
      const side = release === window.release ? window.canary : window.stable;
      side.requests++;
      if (failed) side.failures++;
      side.totalMs += ms;
    },

    configure(releases) {
      settings = releases ?? {};
      // A decision stays until the setting it replaced changes: to it (the config server has it), or to
      // anything else someone set since (theirs is newer).
      for (const [service, override] of overrides) if (json(settings[service]) !== override.from) overrides.delete(service);
      rebuild();
    },

    tick() {
      const now = deps.now();
      for (const [service, window] of [...windows]) {
        const plan = plans.get(service)!;
        const canary = plan.canary!;
        const analysis = canary.analysis!;
        const verdict = judge(window.canary, window.stable, analysis, now - window.startedAt >= analysis.windowMs);
        const current = overrides.get(service)?.next ?? settings[service] ?? {};
        if (verdict.kind === 'rollback') {
          deps.onDecision?.(service, 'rollback');
          decide(
            service,
            { ...current, canary: { ...current.canary!, weight: 0 } },
            `${service} ${canary.release} rolled back (weight ${canary.weight} → 0): ${verdict.reason}`,
            'warn',
          );
        } else if (verdict.kind === 'healthy') {
          const step = analysis.stepWeight;
          if (step === undefined) {
            windows.set(service, fresh(canary.release, canary.weight));
            deps.log.info({ service, reason: verdict.reason }, `canary analysis: ${service} ${canary.release} healthy, kept`);
          } else if (canary.weight + step >= 100) {
            deps.onDecision?.(service, 'promote');
            const { canary: _done, ...rest } = current;
            decide(
              service,
              { ...rest, active: canary.release },
              `${service} ${canary.release} promoted (weight ${canary.weight} → active release): ${verdict.reason}`,
              'info',
            );
          } else {
            deps.onDecision?.(service, 'step');
            const weight = canary.weight + step;
            decide(
              service,
              { ...current, canary: { ...current.canary!, weight } },
              `${service} ${canary.release} healthy, weight ${canary.weight} → ${weight}: ${verdict.reason}`,
              'info',
            );
          }
        }
      }
    },

    view() {
      const now = deps.now();
      return [...plans].map(([service, plan]) => {
        const window = windows.get(service);
        const override = overrides.get(service);
        return {
          service,
          plan,
          ...(override ? { pendingChange: override.reason } : {}),
          ...(window
            ? { window: { ageMs: now - window.startedAt, canary: { ...window.canary }, stable: { ...window.stable } } }
            : {}),
        };
      });
    },

    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
  return controller;
}
