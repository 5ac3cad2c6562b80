// Releases: which build of a service an instance runs, as the registry lists it (metadata `release`, set
// from SERVICE_RELEASE). The gateway shapes users' traffic between releases (canary weights, blue/green);
// calls between services go to the stable release, so a canary only sees what the edge sends it.

import type { ServiceInstance } from './types.ts';

/** The release of an instance that says none: the one in service. */
export const STABLE_RELEASE = 'stable';
/** The registry metadata key that names an instance's release. */
export const RELEASE_METADATA = 'release';
/** A release name: what SERVICE_RELEASE and the gateway's release settings accept. */
export const RELEASE_NAME = '^[a-z][a-z0-9-]{0,30}$';

export function releaseOf(instance: ServiceInstance): string {
  return instance.metadata[RELEASE_METADATA] ?? STABLE_RELEASE;
}

const stableLists = new WeakMap<readonly ServiceInstance[], readonly ServiceInstance[]>();

/**
 * The instances internal calls go to: those of the stable release, or every one when none is stable (a
 * service run only as `blue` and `green`, or a canary left alone). Discovery hands out the same frozen list
 * until it changes, so the filter runs once per list, not per call.
 */
export function internalInstances(instances: readonly ServiceInstance[]): readonly ServiceInstance[] {
  let chosen = stableLists.get(instances);
  if (chosen === undefined) {
    const stable = instances.filter((i) => releaseOf(i) === STABLE_RELEASE);
    chosen = stable.length === 0 || stable.length === instances.length ? instances : Object.freeze(stable);
    stableLists.set(instances, chosen);
  }
  return chosen;
}
