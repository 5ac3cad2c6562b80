// Keeps the docs honest about the tree: every relative link in a Markdown file
// resolves (file and heading), and every file a comment or a doc names by path
// exists. A rename that forgets its mentions fails here, not in a reader's hands.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SKIP_DIRS = new Set(['node_modules', '.git', '.souk', '.scratch', 'results']);

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const files = [...walk(root)];
const markdown = files.filter((f) => f.endsWith('.md'));
const sources = files.filter((f) => /\.(ts|mjs|js)$/.test(f));
const basenames = new Set(files.map((f) => basename(f)));
const rel = (f: string) => relative(root, f);
const workspaces = ['packages', 'services', 'platform', 'tools'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

test('every relative link in the Markdown files resolves to a file, and to a heading when it names one', () => {
  const broken: string[] = [];
  for (const file of markdown) {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // http:, https:, mailto:
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const goal = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (relative(root, goal).startsWith('..')) {
        broken.push(`${rel(file)}: ${target} (outside the repository: a clone does not have it)`);
        continue;
      }
      if (!existsSync(goal)) {
        broken.push(`${rel(file)}: ${target} (no such file)`);
        continue;
      }
      if (anchor && goal.endsWith('.md') && !anchorsOf(goal).has(anchor.toLowerCase())) {
        broken.push(`${rel(file)}: ${target} (no such heading in ${rel(goal)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

// A path of the tree's own folders (services/orders/src/service.ts, packages/chassis/README.md, ./saga-runner.ts).
const TREE_PATH =
  /(?<![\w/.@-])((?:\.{1,2}\/)*(?:(?:packages|services|platform|tools|tests|bench|docs|src|test|migrations)\/)[\w./-]*\w\.(?:ts|mjs|js|json|md))\b/g;
// A file named alone in a comment (`saga-runner.ts`), resolved against the whole tree.
const BARE_FILE = /(?<![\w/.@-])([a-z][\w-]*\.(?:ts|md))\b/g;

function exists(path: string, from: string): boolean {
  const candidates = [resolve(dirname(from), path), resolve(root, path)];
  // A path inside a package may be written from its own folder (src/service.ts in services/orders/README.md).
  const pkg = rel(from).match(/^(packages|services|platform|tools)\/[^/]+/)?.[0];
  if (pkg) candidates.push(resolve(root, pkg, path));
  if (candidates.some((c) => existsSync(c))) return true;
  // Or a path every service has (`src/main.ts`, `../migrations/index.ts`): some workspace must have it.
  const inPackage = path.replace(/^(\.\.?\/)+/, '');
  return /^(src|test|migrations)\//.test(inPackage) && workspaces.some((w) => existsSync(join(w, inPackage)));
}

test('every file a comment or a doc names exists', () => {
  const missing: string[] = [];
  const check = (file: string, text: string) => {
    for (const [, path] of text.matchAll(TREE_PATH)) {
      if (path!.includes('*') || path!.includes('/x/')) continue;
      if (!exists(path!, file)) missing.push(`${rel(file)}: ${path}`);
    }
    for (const [, name] of text.matchAll(BARE_FILE)) {
      if (!basenames.has(name!) && !exists(name!, file)) missing.push(`${rel(file)}: ${name}`);
    }
  };
  for (const file of sources) {
    // Comments only: code builds paths at run time.
    const comments = readFileSync(file, 'utf8').match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? [];
    check(file, comments.join('\n'));
  }
  for (const file of markdown) check(file, readFileSync(file, 'utf8'));
  assert.deepEqual(missing, []);
});
