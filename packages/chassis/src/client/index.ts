// Public surface of the service client: resilient calls to other services,
// and the balancer and breakers the gateway reuses.

export type { ServiceClient, ServiceRequest, ServiceResponse, ClientOptions, BulkheadSnapshot } from './types.ts';
export { DEFAULT_CLIENT_OPTIONS } from './types.ts';
export { createServiceClient, FALLBACK_HEADER } from './service-client.ts';
export type { ServiceClientDeps, ResilientServiceClient } from './service-client.ts';
export { createClientRegistry } from './client-registry.ts';
export type { ClientRegistry, ClientRegistryOptions, ResilienceSnapshot } from './client-registry.ts';
export { Balancer } from './balancer.ts';
export type { PickOptions } from './balancer.ts';
export { Breakers, createBreakers, DEFAULT_FAILURE_THRESHOLD, DEFAULT_HALF_OPEN_AFTER_MS } from './breakers.ts';
export type { BreakerState, BreakerSnapshot, BreakerTarget, BreakersOptions } from './breakers.ts';
export { isRepeatable, CONNECT_ERROR_CODES, RETRYABLE_STATUSES } from './failures.ts';
export { createInstancePools } from './instance-pools.ts';
export type { InstancePools, PoolOptions, PoolTarget } from './instance-pools.ts';
export { createOriginPools } from './origin-pools.ts';
export type { OriginPools, OriginTarget } from './origin-pools.ts';
