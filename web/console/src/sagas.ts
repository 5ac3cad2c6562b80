// What the saga pages show of the console's answers: the statuses in their order, a saga's path, its
// failure as a line, and the counts per status of a list.

import type { SagaStatus, SagaSummary } from './ops.ts';

export const SAGA_STATUSES: readonly SagaStatus[] = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'PARKED'];

export const isSagaStatus = (value: string | undefined): value is SagaStatus => SAGA_STATUSES.some((s) => s === value);

/** A saga no runner works on any more (PARKED waits for a person's retry). */
export const isFinal = (status: SagaStatus) => status !== 'RUNNING' && status !== 'COMPENSATING';

export const sagaPath = (service: string, id: string) => `/sagas/${encodeURIComponent(service)}/${encodeURIComponent(id)}`;

/** The class that marks a status: `saga-status saga-parked`. */
export const statusClass = (status: string) => `saga-status saga-${status.toLowerCase()}`;

/** `reserve-stock: out of stock`; '' without a failure. */
export const failureText = (failure: SagaSummary['failure']) => (failure ? `${failure.step}: ${failure.message}` : '');

/** `12 completed · 3 compensated · 1 parked`, in the statuses' order; '' for no saga. */
export function statusCounts(sagas: readonly SagaSummary[]): string {
  return SAGA_STATUSES.map((status) => ({ status, count: sagas.filter((s) => s.status === status).length }))
    .filter(({ count }) => count > 0)
    .map(({ status, count }) => `${count} ${status.toLowerCase()}`)
    .join(' · ');
}
