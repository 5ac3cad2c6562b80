// The config server's API (platform/config/src/routes.ts, README), typed as the console reads it: the
// services with settings, a service's version in effect, its settings schema and history, a change and a
// rollback. The console works on a service's base document (no `?environment=`). Every call is an admin's,
// through the gateway at /api/v1/config.

import { getJson, sendJson } from './api.ts';
import { isApiError, type ApiError } from './problem.ts';

const BASE = '/api/v1/config/services';
const part = encodeURIComponent;

/** A service's name as the config server takes it. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface ConfigServiceSummary {
  service: string;
  /** The version of its base document; 0 when nothing was ever set. */
  version: number;
  /** The environments with a document of their own. */
  environments: string[];
}

/** A version of a service's settings (ConfigVersion). Version 0: nothing was ever set (`{}`). */
export interface ConfigVersion {
  service: string;
  version: number;
  environment?: string;
  layers?: { base: number; environment: number };
  settings: Record<string, unknown>;
  /** Who set it, why and when; absent for version 0. */
  author?: string;
  reason?: string;
  createdAt?: string;
  /** Set when this version restored an earlier one. */
  rollbackOf?: number;
}

/** One setting a version changed against the version before it (a JSON Pointer). */
export interface SettingChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface HistoryEntry extends ConfigVersion {
  changes: SettingChange[];
}

/** PUT …/services/:service: `reason` is required (1 to 500 characters), kept in the audit. */
export interface ChangeBody {
  settings: Record<string, unknown>;
  reason: string;
  /** The version the change was made from: a 409 when another is in effect now. */
  basedOn?: number;
}

/** POST …/services/:service/rollback: `version`'s settings become the next version. */
export interface RollbackBody {
  version: number;
  reason: string;
}

export const REASON_MAX = 500;

/** One problem a refused change carries: the JSON Pointer of the setting and what is wrong with it. */
export interface SettingsIssue {
  path: string;
  message: string;
}

/** A refused change: the problem's detail as its message, with the problem's own members kept. */
export interface ConfigError extends ApiError {
  /** `errors` of a 422 SOUK_CONFIG_SETTINGS_INVALID (or of a 400 request validation). */
  issues: SettingsIssue[];
  /** `current` of a 409 SOUK_CONFIG_VERSION_CONFLICT: the version in effect now. */
  current: number | undefined;
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && Array.isArray((err as Partial<ConfigError>).issues);
}

export const fetchConfigServices = (signal?: AbortSignal) =>
  getJson<{ services: ConfigServiceSummary[] }>(BASE, signal ? { signal } : {});

export const fetchConfig = (service: string, signal?: AbortSignal) =>
  getJson<ConfigVersion>(`${BASE}/${part(service)}`, signal ? { signal } : {});

/** The JSON Schema the service published for its settings; null before it published one. */
export const fetchConfigSchema = (service: string, signal?: AbortSignal) =>
  getJson<{ service: string; schema: Record<string, unknown> | null }>(
    `${BASE}/${part(service)}/schema`,
    signal ? { signal } : {},
  );

/** Newest first, 100 at most. */
export const fetchConfigHistory = (service: string, signal?: AbortSignal) =>
  getJson<{ versions: HistoryEntry[] }>(`${BASE}/${part(service)}/history`, signal ? { signal } : {});

/** The new version; a ConfigError when refused (422 with `issues`, 409 with `current`). */
export const changeConfig = (service: string, body: ChangeBody) => write<ConfigVersion>('PUT', `${BASE}/${part(service)}`, body);

/** The new version, whose `rollbackOf` is `body.version`; a ConfigError when refused. */
export const rollbackConfig = (service: string, body: RollbackBody) =>
  write<ConfigVersion>('POST', `${BASE}/${part(service)}/rollback`, body);

const isIssue = (value: unknown): value is SettingsIssue =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SettingsIssue).path === 'string' &&
  typeof (value as SettingsIssue).message === 'string';

/** A refused change as a ConfigError: the problem's `errors` (or `issues`) and `current` kept; other errors as they are. */
function configError(err: unknown): unknown {
  if (!isApiError(err)) return err;
  const problem = err.problem ?? {};
  const list = Array.isArray(problem.errors) ? problem.errors : Array.isArray(problem.issues) ? problem.issues : [];
  return Object.assign(err, {
    issues: (list as unknown[]).filter(isIssue).map(({ path, message }) => ({ path, message })),
    current: typeof problem.current === 'number' ? problem.current : undefined,
  });
}

async function write<T>(method: 'PUT' | 'POST', path: string, body: unknown): Promise<T> {
  try {
    return await sendJson<T>(method, path, body);
  } catch (err) {
    throw configError(err);
  }
}
