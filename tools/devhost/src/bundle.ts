// --bundle: build every service entry once with esbuild (our TypeScript inlined, npm packages left
// external) so each process starts plain JS instead of paying tsx's transpile hooks at every start.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Plugin } from 'esbuild';

export interface BundleEntry {
  name: string;
  /** Absolute path of the TypeScript entry. */
  entry: string;
}

/**
 * Output goes under <repo>/node_modules/.cache so that the external imports resolve from the repo's own
 * node_modules, wherever --data-dir points; one folder per data dir, so two devhosts (say, a test run
 * beside `npm start`) never rewrite each other's files. Returns the bundle path per entry name.
 */
export async function bundleServices(repoRoot: string, dataDir: string, entries: readonly BundleEntry[]): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const outdir = path.join(repoRoot, 'node_modules', '.cache', 'souk-devhost', key);
  await esbuild.build({
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.entry])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [externalNpmPackages],
  });
  return new Map(entries.map((e) => [e.name, path.join(outdir, `${e.name}.mjs`)]));
}

/** npm packages stay external (loaded natively from node_modules); workspace packages (@souk/*) are TypeScript and get bundled. */
const externalNpmPackages: Plugin = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.startsWith('@souk/') || path.isAbsolute(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};
