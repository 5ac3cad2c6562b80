// --bundle: build every service entry once with esbuild, npm packages included, so each process
// starts one set of plain JS files instead of paying tsx's transpile hooks and Node's module
// resolution for hundreds of files at every start (measured: the registry starts in 0.44 s instead
// of 1.36 s with packages left external, and 5-6 s with tsx).
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as Esbuild from 'esbuild';

export interface BundleEntry {
  name: string;
  /** Absolute path of the TypeScript entry. */
  entry: string;
}

/**
 * Output goes under <repo>/node_modules/.cache so that what is still resolved at run time (a package's
 * own `require` of a data file) resolves from the repo's node_modules, wherever --data-dir points; one
 * folder per data dir, so two devhosts (say, a test run beside `npm start`) never rewrite each other's
 * files. Code shared by the services lands in common chunks. Returns the bundle path per entry name.
 */
export async function bundleServices(
  repoRoot: string,
  dataDir: string,
  entries: readonly BundleEntry[],
): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const outdir = path.join(repoRoot, 'node_modules', '.cache', 'souk-devhost', key);
  try {
    await build(esbuild, entries, outdir);
  } finally {
    // esbuild keeps its service process (300 MB resident here) for later builds; there are none.
    await esbuild.stop();
  }
  return new Map(entries.map((e) => [e.name, path.join(outdir, `${e.name}.mjs`)]));
}

async function build(esbuild: typeof Esbuild, entries: readonly BundleEntry[], outdir: string): Promise<void> {
  await esbuild.build({
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.entry])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() (node: built-ins, optional deps).
    banner: {
      js: "import { createRequire as __soukCreateRequire } from 'node:module'; const require = __soukCreateRequire(import.meta.url);",
    },
    plugins: [externalOptional],
  });
}

/** Optional native add-ons that packages try to load and do without (pg's pg-native). */
const OPTIONAL = ['pg-native'];

const externalOptional: Esbuild.Plugin = {
  name: 'external-optional',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${OPTIONAL.join('|')})$`) }, (args) => ({ path: args.path, external: true }));
  },
};
