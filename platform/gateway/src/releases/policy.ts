// Releases at the edge: which instances of a service take a user's request. Instances name their release
// in the registry (metadata `release`, from SERVICE_RELEASE). The gateway's `releases` setting gives, per
// service, the release in service (`active`: blue/green is switching it) and a canary release with the
// weight of users it takes; a user keeps their side while the weight stays (sticky by a hash of who they are).

import { Type, type Static } from 'typebox';
import { internalInstances, releaseOf, STABLE_RELEASE, type ServiceInstance } from '@souk/chassis';

/** The release a canary runs when the setting names none (the devhost's `--canary <service>`). */
export const CANARY_RELEASE = 'canary';

const ReleaseName = Type.String({ minLength: 1, maxLength: 31, description: 'A release (SERVICE_RELEASE of its instances).' });

export const CanaryAnalysisSetting = Type.Object(
  {
    windowSeconds: Type.Optional(
      Type.Integer({ minimum: 5, maximum: 3600, description: 'Length of one analysis window (default 30).' }),
    ),
    minRequests: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'Canary requests a window needs before it judges (default 20).',
      }),
    ),
    maxErrorRateIncrease: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'Rolled back when the canary fails this much more often than the stable side (default 0.05: 5 points).',
      }),
    ),
    maxLatencyRatio: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 100,
        description:
          'Rolled back when the canary’s mean latency exceeds the stable side’s this many times, and by 25 ms (default 2).',
      }),
    ),
    stepWeight: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          'After each healthy window the weight rises by this; at 100 the canary is promoted (active). Absent: kept as it is.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReleaseSetting = Type.Object(
  {
    active: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 31,
        description: 'The release users get unless the canary takes them (default stable); blue/green switches it.',
      }),
    ),
    canary: Type.Optional(
      Type.Object(
        {
          release: Type.Optional(ReleaseName),
          weight: Type.Integer({ minimum: 0, maximum: 100, description: 'Percent of users sent to the canary.' }),
          analysis: Type.Optional(CanaryAnalysisSetting),
        },
        { additionalProperties: false, description: 'A canary release and the share of users it takes.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ReleaseSetting = Static<typeof ReleaseSetting>;

export const ReleasesSetting = Type.Object(
  {},
  {
    additionalProperties: ReleaseSetting,
    description: 'Per service: the active release (blue/green) and a canary with its weight and analysis.',
  },
);
// Static<> of an object with only additionalProperties is `{}`: the type says what the schema does.
export type ReleasesSetting = Record<string, ReleaseSetting>;

export interface CanaryAnalysis {
  windowMs: number;
  minRequests: number;
  maxErrorRateIncrease: number;
  maxLatencyRatio: number;
  stepWeight: number | undefined;
}

export function analysisOf(setting: Static<typeof CanaryAnalysisSetting>): CanaryAnalysis {
  return {
    windowMs: (setting.windowSeconds ?? 30) * 1000,
    minRequests: setting.minRequests ?? 20,
    maxErrorRateIncrease: setting.maxErrorRateIncrease ?? 0.05,
    maxLatencyRatio: setting.maxLatencyRatio ?? 2,
    stepWeight: setting.stepWeight,
  };
}

/** A service's release plan, as the settings give it. */
export interface ReleasePlan {
  active: string;
  canary: { release: string; weight: number; analysis: CanaryAnalysis | undefined } | undefined;
}

export function planOf(setting: ReleaseSetting): ReleasePlan {
  const { canary } = setting;
  return {
    active: setting.active ?? STABLE_RELEASE,
    canary:
      canary === undefined
        ? undefined
        : {
            release: canary.release ?? CANARY_RELEASE,
            weight: canary.weight,
            analysis: canary.analysis ? analysisOf(canary.analysis) : undefined,
          },
  };
}

/** The bucket of a caller, 0-99: FNV-1a of its key, so a user stays on one side while the weight stays. */
export function bucketOf(caller: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < caller.length; i++) {
    hash ^= caller.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 100;
}

/** Where a request goes: the instances of its side first, then the other side's when those all failed. */
export interface Routed {
  release: string;
  instances: readonly ServiceInstance[];
  /** The other side, for a retry when every instance of `instances` failed (a user still gets an answer). */
  spare: readonly ServiceInstance[];
  spareRelease: string;
}

const NONE: readonly ServiceInstance[] = Object.freeze([]);

const byRelease = new WeakMap<readonly ServiceInstance[], Map<string, readonly ServiceInstance[]>>();

/** The instances of one release; discovery hands out one frozen list until it changes, so this filters once per list. */
function ofRelease(instances: readonly ServiceInstance[], release: string): readonly ServiceInstance[] {
  let lists = byRelease.get(instances);
  if (lists === undefined) byRelease.set(instances, (lists = new Map<string, readonly ServiceInstance[]>()));
  let chosen = lists.get(release);
  if (chosen === undefined) {
    const matching = instances.filter((i) => releaseOf(i) === release);
    chosen = matching.length === instances.length ? instances : Object.freeze(matching);
    lists.set(release, chosen);
  }
  return chosen;
}

/** Whether the canary takes `caller` under `plan` (whatever instances run). */
function onCanary(plan: ReleasePlan, caller: string): boolean {
  const { canary } = plan;
  return canary !== undefined && canary.weight > 0 && canary.release !== plan.active && bucketOf(caller) < canary.weight;
}

/** The release `caller` is meant for under `plan`. */
export function sideOf(plan: ReleasePlan, caller: string): string {
  return onCanary(plan, caller) ? plan.canary!.release : plan.active;
}

/**
 * The instances for `caller` under `plan`. The canary takes the callers whose bucket is below its weight
 * (raising the weight only adds callers). A side with no instance running hands its callers to the other;
 * with neither, the stable instances (or all) take them, as without a plan.
 */
export function route(plan: ReleasePlan, instances: readonly ServiceInstance[], caller: string): Routed {
  const active = ofRelease(instances, plan.active);
  if (onCanary(plan, caller)) {
    const release = plan.canary!.release;
    const canaries = ofRelease(instances, release);
    if (canaries.length > 0) return { release, instances: canaries, spare: active, spareRelease: plan.active };
  }
  if (active.length > 0) return { release: plan.active, instances: active, spare: NONE, spareRelease: plan.active };
  const fallback = internalInstances(instances);
  return { release: fallback[0] ? releaseOf(fallback[0]) : plan.active, instances: fallback, spare: NONE, spareRelease: '' };
}
