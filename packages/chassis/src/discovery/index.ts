// Public surface of discovery: where instances of other services are, and this
// instance's own registration.

export type { Discovery, ServiceInstance } from './types.ts';
export { staticDiscovery, parseStaticServices } from './static-discovery.ts';
export { pinServices, parseUrlList } from './pinned-discovery.ts';
export {
  createRegistryClient,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_WATCH_WAIT_SECONDS,
  DEFAULT_READY_TIMEOUT_MS,
} from './registry-client.ts';
export type { RegistryClient, RegistryClientOptions } from './registry-client.ts';
export type { SelfRegistration } from './registration.ts';
export { internalInstances, releaseOf, RELEASE_METADATA, RELEASE_NAME, STABLE_RELEASE } from './releases.ts';
