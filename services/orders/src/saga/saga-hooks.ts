// Test hook (ORDERS_TEST_HOOKS=true only): pause the checkout saga before a
// step, so a system test can kill an instance or break a dependency right
// there. Kept in memory: a restart (kill -9 included) clears it.

import type { BeforeStep, ServiceContext } from '@souk/chassis';
import { SagaHooks, SagaHooksBody } from '../../contract.ts';
import { errors } from '../errors.ts';

export const SAGA_HOOKS_PATH = '/_admin/saga-hooks';

export interface SagaHookControl {
  beforeStep: BeforeStep;
  set(pauseBefore: string | null): void;
  status(): SagaHooks;
}

/** `compensate` phases are named `<step>.compensate`. */
export function createSagaHooks(now: () => number): SagaHookControl {
  let pauseBefore: string | null = null;
  const paused = new Map<string, { sagaId: string; step: string; since: string }>();
  let changed = deferred();

  return {
    async beforeStep(sagaId, step, { phase, signal }) {
      const name = phase === 'run' ? step : `${step}.compensate`;
      if (pauseBefore !== name) return;
      const key = `${sagaId} ${name}`;
      paused.set(key, { sagaId, step: name, since: new Date(now()).toISOString() });
      const stopped = deferred();
      signal.addEventListener('abort', stopped.resolve, { once: true });
      try {
        while (pauseBefore === name && !signal.aborted) await Promise.race([changed.promise, stopped.promise]);
      } finally {
        paused.delete(key);
        signal.removeEventListener('abort', stopped.resolve);
      }
    },
    set(value) {
      pauseBefore = value;
      const previous = changed;
      changed = deferred();
      previous.resolve();
    },
    status: () => ({ pauseBefore, paused: [...paused.values()] }),
  };
}

export function registerSagaHookRoutes(ctx: ServiceContext, hooks: SagaHookControl, steps: readonly string[]): void {
  const admin = ctx.auth.required({ roles: ['admin'] });
  const valid = new Set(steps.flatMap((s) => [s, `${s}.compensate`]));
  ctx.app.get(SAGA_HOOKS_PATH, { onRequest: admin, schema: { hide: true, response: { 200: SagaHooks } } }, async () =>
    hooks.status(),
  );
  ctx.app.put(
    SAGA_HOOKS_PATH,
    { onRequest: admin, schema: { hide: true, body: SagaHooksBody, response: { 200: SagaHooks } } },
    async (req) => {
      const { pauseBefore } = req.body;
      if (pauseBefore !== null && !valid.has(pauseBefore)) {
        throw errors.unknownStep({ detail: `The checkout saga has no step ${pauseBefore}`, extensions: { steps: [...valid] } });
      }
      hooks.set(pauseBefore);
      ctx.log.warn({ pauseBefore }, 'saga test hook changed');
      return hooks.status();
    },
  );
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
