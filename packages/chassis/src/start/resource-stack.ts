// What a starting service has acquired, released in reverse order. A failed
// start and a stop take the same path: each part registers its own release
// as soon as it exists, so nothing is forgotten and nothing is released twice.

import type { Logger } from 'pino';

export interface ResourceStack {
  /** Registers the release of what was just acquired; it runs before everything registered earlier. */
  defer(name: string, release: () => Promise<void> | void): void;
  /**
   * Releases everything, last registered first. A failing release is logged and does not keep
   * the others from running. Runs once; later calls return the same promise.
   */
  release(): Promise<void>;
}

export function createResourceStack(log: Logger): ResourceStack {
  const stack: { name: string; release: () => Promise<void> | void }[] = [];
  let released: Promise<void> | undefined;
  return {
    defer(name, release) {
      if (released) throw new Error(`${name} acquired after the service released its resources`);
      stack.push({ name, release });
    },
    release() {
      return (released ??= (async () => {
        for (const { name, release } of stack.reverse()) {
          const t0 = performance.now();
          await Promise.resolve()
            .then(release)
            .catch((err: unknown) => log.error({ err }, `releasing ${name} failed`));
          // Where a slow stop waits, for whoever looks (debug: a stop happens once).
          log.debug({ ms: Math.round(performance.now() - t0) }, `released ${name}`);
        }
      })());
    },
  };
}
