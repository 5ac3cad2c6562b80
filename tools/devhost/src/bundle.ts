// --bundle: build every service entry once with esbuild, npm packages included, so each process
// starts one set of plain JS files instead of paying tsx's transpile hooks and Node's module
// resolution for hundreds of files at every start (measured: the registry starts in 0.44 s instead
// of 1.36 s with packages left external, and 5-6 s with tsx).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type * as Esbuild from 'esbuild';

export interface BundleOptions {
  /**
   * Write linked source maps beside the bundles (for --source-maps). Off by default: nothing reads them
   * otherwise, and they are two thirds of what esbuild writes (measured: 19 MB of 26, 15 % of its CPU).
   */
  sourceMaps?: boolean;
}

export interface BundleEntry {
  name: string;
  /** Absolute path of the TypeScript entry. */
  entry: string;
}

/**
 * Output goes under <repo>/node_modules/.cache so that what is still resolved at run time (a package's
 * own `require` of a data file) resolves from the repo's node_modules, wherever --data-dir points; one
 * folder per data dir, so two devhosts (say, a test run beside `npm start`) never rewrite each other's
 * files. Unchanged inputs reuse a folder's bundles, this data dir's or another's (see Manifest).
 * Code shared by the services lands in common chunks. Returns the bundle path per entry name.
 */
export async function bundleServices(
  repoRoot: string,
  dataDir: string,
  entries: readonly BundleEntry[],
  options: BundleOptions = {},
): Promise<{ bundles: Map<string, string>; reused: boolean }> {
  const cache = path.join(repoRoot, 'node_modules', '.cache', 'souk-devhost');
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const outdir = path.join(cache, key);
  const bundlesIn = (dir: string) => new Map(entries.map((e) => [e.name, path.join(dir, `${e.name}.mjs`)]));
  const manifestFile = path.join(outdir, MANIFEST);
  const sourceMaps = options.sourceMaps ?? false;
  const settings = buildSettings(entries, sourceMaps);
  // Our own folder first; then another data dir's (each test run and benchmark has a data dir of its own):
  // bundles of the same inputs are the same files.
  const others = (await readdir(cache).catch(() => [])).filter((d) => d !== key).map((d) => path.join(cache, d));
  for (const dir of [outdir, ...others]) {
    if (await upToDate(path.join(dir, MANIFEST), settings)) return { bundles: bundlesIn(dir), reused: true };
  }
  const bundles = bundlesIn(outdir);
  // A stale manifest goes first, so a build cut short never leaves a folder that looks complete.
  await rm(manifestFile, { force: true });
  const esbuild = await import('esbuild');
  try {
    const { inputs, outputs } = await build(esbuild, repoRoot, entries, outdir, sourceMaps);
    const manifest: Manifest = {
      settings,
      inputs: await stamps(repoRoot, inputs),
      outputs: outputs.map((o) => path.resolve(repoRoot, o)),
    };
    await writeFile(manifestFile, JSON.stringify(manifest));
  } finally {
    // esbuild keeps its service process (300 MB resident here) for later builds; there are none.
    await esbuild.stop();
  }
  return { bundles, reused: false };
}

/**
 * What a bundle was built from: every input file esbuild read (ours and the packages'), with its size and
 * modification time, and the settings. A start whose inputs all stat the same reuses the bundle (stat of
 * ~1,500 files: milliseconds, against seconds of esbuild on two cores). Any edit, `npm install` or a change
 * to this file's build options changes a stamp or the settings; a new file can only be reached through an
 * edit of a file that imports it.
 */
interface Manifest {
  settings: string;
  inputs: Record<string, [size: number, mtimeMs: number]>;
  /** Every file written (entries, chunks, maps): all must still be there. */
  outputs: string[];
}

const MANIFEST = 'souk-bundle-inputs.json';

/** The build options and entries, and this module's own source: an edited build step rebuilds. */
function buildSettings(entries: readonly BundleEntry[], sourceMaps: boolean): string {
  return createHash('sha256')
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(JSON.stringify({ entries, sourceMaps }))
    .update(process.version)
    .digest('hex');
}

async function stamps(root: string, inputs: readonly string[]): Promise<Manifest['inputs']> {
  const out: Manifest['inputs'] = {};
  await Promise.all(
    inputs.map(async (input) => {
      const file = path.resolve(root, input);
      const st = await stat(file);
      out[file] = [st.size, st.mtimeMs];
    }),
  );
  return out;
}

async function upToDate(manifestFile: string, settings: string): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
  } catch {
    return false;
  }
  if (manifest.settings !== settings || !manifest.outputs.every((o) => existsSync(o))) return false;
  const checks = await Promise.all(
    Object.entries(manifest.inputs).map(async ([file, [size, mtimeMs]]) => {
      const st = await stat(file).catch(() => undefined);
      return st !== undefined && st.size === size && st.mtimeMs === mtimeMs;
    }),
  );
  return checks.every(Boolean);
}

/** Builds the bundles; returns the files esbuild read and wrote, relative to the repository. */
async function build(
  esbuild: typeof Esbuild,
  repoRoot: string,
  entries: readonly BundleEntry[],
  outdir: string,
  sourceMaps: boolean,
): Promise<{ inputs: string[]; outputs: string[] }> {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.entry])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: sourceMaps ? 'linked' : false,
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() (node: built-ins, optional deps).
    banner: {
      js: "import { createRequire as __soukCreateRequire } from 'node:module'; const require = __soukCreateRequire(import.meta.url);",
    },
    plugins: [externalOptional],
    metafile: true,
  });
  return {
    inputs: Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')),
    outputs: Object.keys(result.metafile.outputs),
  };
}

/** Optional native add-ons that packages try to load and do without (pg's pg-native). */
const OPTIONAL = ['pg-native'];

const externalOptional: Esbuild.Plugin = {
  name: 'external-optional',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${OPTIONAL.join('|')})$`) }, (args) => ({ path: args.path, external: true }));
  },
};
