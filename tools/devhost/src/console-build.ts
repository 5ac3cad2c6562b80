// The console's static files (web/console, React + Vite), built once per change of its sources: the
// output folder is named by a hash of every source file and of Vite's version, so an unchanged console
// is reused at once, and a changed one is built beside it. Vite runs in a child process, so that the
// devhost does not keep the bundler's memory for the rest of its life.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const SKIPPED = new Set(['node_modules', 'dist']);

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else files.push(full);
  }
  return files.sort();
}

/** A hash of the console's sources (names and contents) and of the Vite that builds them. */
export async function consoleSourceHash(consoleDir: string, viteVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`vite ${viteVersion}\n`);
  for (const file of await sourceFiles(consoleDir)) {
    hash.update(`${path.relative(consoleDir, file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Builds (or reuses) the console; returns the folder with index.html, and whether it was reused. */
export async function buildConsole(repoRoot: string): Promise<{ dir: string; reused: boolean }> {
  const consoleDir = path.join(repoRoot, 'web', 'console');
  const require = createRequire(path.join(consoleDir, 'package.json'));
  const vitePackage = require.resolve('vite/package.json');
  const viteVersion = (JSON.parse(await readFile(vitePackage, 'utf8')) as { version: string }).version;
  const cache = path.join(repoRoot, 'node_modules', '.cache', 'souk-console');
  const dir = path.join(cache, await consoleSourceHash(consoleDir, viteVersion));
  if (existsSync(path.join(dir, 'index.html'))) return { dir, reused: true };
  // Older builds go: one console's files are all a devhost needs.
  await rm(cache, { recursive: true, force: true });
  const vite = path.join(path.dirname(vitePackage), 'bin', 'vite.js');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: consoleDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !existsSync(path.join(dir, 'index.html'))) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`building the console (vite build in web/console) failed:\n${output.join('').slice(-2000)}`);
  }
  return { dir, reused: false };
}
