// The console backend's API (platform/console/src/routes.ts): instances with their health, breakers and
// the devhost's controls, sagas, the event layer with its dead letters, and the schema registry's
// subjects; typed as the console reads them. Every call is an admin's, through the gateway.

import { getJson, sendJson } from './api.ts';

const BASE = '/api/v1/console';
const part = encodeURIComponent;

/** The supervisor's view of a process (the devhost's), when the console can control instances. */
export type ProcessState = 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped' | 'paused' | 'killed';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface Breaker {
  /** The called service and instance this caller's breaker guards. */
  service: string;
  instanceId: string;
  url?: string;
  state: BreakerState;
  /** When it entered the state (ms since the epoch). */
  since: number;
  failures: number;
  openForMs: number;
  /** How many times it opened since the caller started, and when last (ms since the epoch). */
  openings: number;
  lastOpenedAt: number | null;
  /** Set when the called instance left the registry: the breaker is kept a while as it was then. */
  leftAt?: number;
}

export interface Bulkhead {
  service: string;
  active: number;
  queued: number;
  limit: number;
  queueLimit: number;
}

export interface InstanceView {
  instanceId: string;
  service: string;
  /** From the registry; null for an instance the registry does not list (killed, paused past its lease, starting). */
  version: string | null;
  zone: string | null;
  release: string | null;
  url: string | null;
  registered: boolean;
  /** The devhost's state of the process; null when the console has no instance control. */
  process: { state: ProcessState; pid: number | null; restarts: number; startedAt: string | null } | null;
  /** Its admin listener's /health/ready: up, down (503 with the failing checks) or unreachable. */
  health: 'up' | 'down' | 'unreachable';
  /** Each readiness check's text when it answered (name → 'up', or 'down: …' with why). */
  checks: Record<string, string>;
  /** The breakers and bulkheads of its outgoing calls; empty when unreachable. */
  breakers: Breaker[];
  bulkheads: Bulkhead[];
  /** Why health or resilience could not be read. */
  error: string | null;
}

export interface InstancesAnswer {
  /** False when no devhost runs the processes (Kubernetes): no kill, pause or restart. */
  control: boolean;
  /** Set when a devhost is configured but its control did not answer. */
  controlError?: string;
  instances: InstanceView[];
}

export type InstanceAction = 'kill' | 'pause' | 'resume' | 'restart';

export const fetchInstances = (signal?: AbortSignal) => getJson<InstancesAnswer>(`${BASE}/instances`, signal ? { signal } : {});

export const controlInstance = (instanceId: string, action: InstanceAction) =>
  sendJson<{ instanceId: string; state: ProcessState }>('POST', `${BASE}/instances/${part(instanceId)}/${action}`);

// Sagas ---------------------------------------------------------------------------------------------

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'PARKED';
export type PhaseStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface SagaSummary {
  /** The service whose saga it is (orders runs the checkout). */
  service: string;
  id: string;
  name: string;
  status: SagaStatus;
  currentStep: string | null;
  attempt: number;
  runnerFailures: number;
  failure: { step: string; code: string; message: string; status: number; deadlineExceeded: boolean; attempts: number } | null;
  leaseOwner: string | null;
  nextAttemptAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface PhaseView {
  status: PhaseStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: { code: string; message: string } | null;
}

export interface SagaStep extends PhaseView {
  name: string;
  compensation: PhaseView | null;
}

export interface SagaLogEntry {
  seq: number;
  kind: string;
  step: string | null;
  attempt: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  owner: string | null;
  at: string;
}

export interface SagaView extends SagaSummary {
  state: Record<string, unknown>;
  steps: SagaStep[];
  log: SagaLogEntry[];
}

/** A fan-out's answer: what the reachable services said, and which could not be asked. */
export interface Unreachable {
  unreachable: { service: string; error: string }[];
}

export const fetchSagas = (filter: { status?: SagaStatus; service?: string; limit?: number }, signal?: AbortSignal) =>
  getJson<{ sagas: SagaSummary[] } & Unreachable>(`${BASE}/sagas`, { query: filter, ...(signal ? { signal } : {}) });

export const fetchSaga = (service: string, id: string, signal?: AbortSignal) =>
  getJson<SagaView>(`${BASE}/sagas/${part(service)}/${part(id)}`, signal ? { signal } : {});

export const retrySaga = (service: string, id: string) =>
  sendJson<Omit<SagaSummary, 'service'>>('POST', `${BASE}/sagas/${part(service)}/${part(id)}/retry`);

// Events --------------------------------------------------------------------------------------------

export interface EventStatus {
  transport: 'feed' | 'nats';
  publishes: { type: string; schemaId: number | null }[];
  outbox: { head: number; unsequenced: number; unpublished: number | null };
  subscriptions: { type: string; producer: string }[];
  /** How far this consumer has read each producer's feed (lag = the producer's outbox head − position). */
  cursors: { producer: string; position: number; owner: string | null; leaseUntil: string | null }[];
  failing: number;
  deadLetters: number;
}

export interface ServiceEvents {
  service: string;
  status: EventStatus;
}

export const fetchEvents = (signal?: AbortSignal) =>
  getJson<{ services: ServiceEvents[] } & Unreachable>(`${BASE}/events`, signal ? { signal } : {});

export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  data?: unknown;
  [extension: string]: unknown;
}

export interface DeadLetter {
  /** The consumer that parked it. */
  service: string;
  deadLetterId: number;
  eventId: string;
  source: string;
  type: string;
  error: string;
  attempts: number;
  deadAt: string;
  redrivenAt: string | null;
  /** Only when one letter is asked for. */
  event?: CloudEvent;
}

export const fetchDeadLetters = (filter: { service?: string; includeRedriven?: boolean }, signal?: AbortSignal) =>
  getJson<{ deadLetters: DeadLetter[] } & Unreachable>(`${BASE}/dead-letters`, {
    query: filter,
    ...(signal ? { signal } : {}),
  });

export const fetchDeadLetter = (service: string, id: number, signal?: AbortSignal) =>
  getJson<DeadLetter>(`${BASE}/dead-letters/${part(service)}/${id}`, signal ? { signal } : {});

export const redriveDeadLetter = (service: string, id: number) =>
  sendJson<{ deadLetterId: number; outcome: 'handled' | 'duplicate' }>(
    'POST',
    `${BASE}/dead-letters/${part(service)}/${id}/redrive`,
  );

// Schemas -------------------------------------------------------------------------------------------

export interface SubjectSummary {
  subject: string;
  versions: number[];
  /** The subject's compatibility level, or the registry's global one when it has none of its own. */
  compatibility: string;
}

export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schemaType?: string;
  /** The JSON Schema, as text (the registry keeps it as registered). */
  schema: string;
}

export const fetchSubjects = (signal?: AbortSignal) =>
  getJson<{ subjects: SubjectSummary[] }>(`${BASE}/schemas`, signal ? { signal } : {});

export const fetchSchemaVersion = (subject: string, version: number, signal?: AbortSignal) =>
  getJson<SchemaVersion>(`${BASE}/schemas/${part(subject)}/versions/${version}`, signal ? { signal } : {});
