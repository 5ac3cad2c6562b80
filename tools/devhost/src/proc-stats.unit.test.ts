import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { descendants, processCpuMs, processMemory, processesNamed, treeMemory } from './proc-stats.ts';

test('a child process is found below its parent, and the tree memory counts it', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  assert.equal(descendants(process.pid).get(child.pid!), 'node');
  const own = processMemory(process.pid)!;
  const childMemory = processMemory(child.pid!)!;
  assert.ok(own.pssMb > 1 && own.rssMb >= own.pssMb, `own memory read: ${JSON.stringify(own)}`);
  const tree = treeMemory(process.pid);
  assert.ok(tree.processes >= 2, `${tree.processes} processes`);
  // The sum includes both, so it is more than either alone.
  assert.ok(tree.pssMb > Math.max(own.pssMb, childMemory.pssMb), `${tree.pssMb} vs ${own.pssMb} and ${childMemory.pssMb}`);
});

test('a process that is gone reads as undefined', () => {
  assert.equal(processMemory(2 ** 22 + 12345), undefined);
});

test('CPU time grows with work, and a process is found by its command name', () => {
  const before = processCpuMs(process.pid)!;
  // Busy work until the kernel has counted a tick of it (10 ms), or 5 s: a loaded machine may run us slowly.
  const deadline = performance.now() + 5_000;
  let after = before;
  while (after === before && performance.now() < deadline) after = processCpuMs(process.pid)!;
  assert.ok(after > before, `${before} → ${after}`);
  assert.equal(processCpuMs(2 ** 22 + 12345), undefined);
  assert.ok(processesNamed('node').includes(process.pid));
});
