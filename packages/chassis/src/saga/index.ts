// The saga engine's public surface, re-exported whole by the chassis index: what services use.
export { defineSaga, parallel } from './saga-definition.ts';
export type {
  SagaDefinition,
  SagaStep,
  StepContext,
  SagaEndContext,
  SagaFailure,
  SagaStatus,
  RetryPolicy,
  ParallelGroup,
} from './saga-definition.ts';
export type { SagaRunner, BeforeStep } from './saga-runner.ts';
export { useSagas } from './use-sagas.ts';
export type { UseSagasOptions } from './use-sagas.ts';
export type { SagaView, SagaSummary, SagaStepView, SagaLogEntry, PhaseView, PhaseStatus } from './saga-view.ts';
export { sagaErrors } from './errors.ts';
