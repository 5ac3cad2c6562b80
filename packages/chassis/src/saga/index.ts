// The saga engine's public surface (re-exported by the chassis index).
export { defineSaga, idempotencyKeyOf, SAGA_STATUSES, FINAL_STATUSES } from './saga-definition.ts';
export type {
  SagaDefinition,
  SagaStep,
  StepContext,
  SagaEndContext,
  SagaFailure,
  SagaStatus,
  RetryPolicy,
} from './saga-definition.ts';
export {
  createSagaRunner,
  DEFAULT_SAGA_LEASE_MS,
  DEFAULT_SAGA_POLL_INTERVAL_MS,
  DEFAULT_SAGA_CONCURRENCY,
  DEFAULT_COMPENSATION_PARK_AFTER,
} from './saga-runner.ts';
export type { SagaRunner, SagaRunnerOptions, BeforeStep } from './saga-runner.ts';
export { useSagas } from './use-sagas.ts';
export type { UseSagasOptions } from './use-sagas.ts';
export { registerSagaRoutes, SAGA_ADMIN_PATH } from './saga-routes.ts';
export type { SagaView, SagaSummary, SagaStepView, SagaLogEntry, PhaseView, PhaseStatus } from './saga-view.ts';
export { sagaErrors } from './errors.ts';
