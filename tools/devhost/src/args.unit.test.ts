// Flags of `npm start -- ...`: defaults, ports, --scale forms and the errors a user sees for bad input.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ArgsError, DEFAULT_GATEWAY_PORT, DEFAULT_REGISTRY_PORT, parseOptions, parseReleases, parseScale } from './args.ts';
import { Devhost } from './devhost.ts';

const root = '/repo';

test('defaults: .souk under the repo, gateway 8080, registry 8761, one instance each', () => {
  const o = parseOptions([], root);
  assert.equal(o.dataDir, path.join(root, '.souk'));
  assert.equal(o.gatewayPort, DEFAULT_GATEWAY_PORT);
  assert.equal(o.registryPort, DEFAULT_REGISTRY_PORT);
  assert.deepEqual(o.scale, {});
  assert.equal(o.fresh, false);
  assert.equal(o.logLevel, undefined, 'without --log-level the services start at info and the config server may change it');
  assert.equal(o.jsonLogs, false);
  assert.equal(o.bundle, true);
});

test('--no-bundle runs the services through tsx', () => {
  assert.equal(parseOptions(['--no-bundle'], root).bundle, false);
});

test('--no-telemetry leaves the telemetry backend out; it runs by default', () => {
  assert.equal(parseOptions([], root).telemetry, true);
  assert.equal(parseOptions(['--no-telemetry'], root).telemetry, false);
  assert.ok(!Devhost.instanceNames(parseOptions(['--no-telemetry'], root)).includes('telemetry-1'));
  assert.ok(Devhost.instanceNames(parseOptions([], root)).includes('telemetry-1'));
});

test('--fresh, --data-dir, ports, --log-level, --json-logs', () => {
  const o = parseOptions(
    ['--fresh', '--data-dir', 'tmp/x', '--port', '9090', '--registry-port', '9761', '--log-level', 'debug', '--json-logs'],
    root,
  );
  assert.equal(o.fresh, true);
  assert.equal(o.dataDir, path.resolve('tmp/x'));
  assert.equal(o.gatewayPort, 9090);
  assert.equal(o.registryPort, 9761);
  assert.equal(o.logLevel, 'debug');
  assert.equal(o.jsonLogs, true);
});

test('--scale is repeatable and accepts comma lists; the last value wins', () => {
  const o = parseOptions(['--scale', 'catalog=2', '--scale', 'identity=3,gateway=2', '--scale=catalog=4'], root);
  assert.deepEqual(o.scale, { catalog: 4, identity: 3, gateway: 2 });
});

test('--canary and --release run one more instance per release; bad ones are refused with the reason', () => {
  assert.deepEqual(parseOptions([], root).releases, {});
  const o = parseOptions(['--canary', 'catalog', '--release', 'catalog=green,cart=next', '--canary=catalog'], root);
  assert.deepEqual(o.releases, { catalog: ['canary', 'green'], cart: ['next'] });
  assert.throws(() => parseReleases(['nosuch'], []), /unknown service "nosuch"/);
  assert.throws(() => parseReleases(['identity'], []), /identity runs one release only/);
  assert.throws(() => parseReleases([], ['gateway=green']), /gateway runs one release only/);
  assert.throws(() => parseReleases([], ['catalog']), /<service>=<release>/);
  assert.throws(() => parseReleases([], ['catalog=Green']), /not a release name/);
  assert.throws(() => parseReleases([], ['catalog=stable']), /not a release name/);
});

test('bad --scale values are refused with a message naming the problem', () => {
  assert.throws(() => parseScale(['nosuch=2']), /unknown service "nosuch"/);
  assert.throws(() => parseScale(['catalog']), /<service>=<count>/);
  assert.throws(() => parseScale(['catalog=0']), /from 1 to 10/);
  assert.throws(() => parseScale(['catalog=two']), /from 1 to 10/);
  assert.throws(() => parseScale(['registry=2']), /registry runs as a single instance/);
  assert.deepEqual(parseScale(['registry=1']), { registry: 1 });
});

test('bad ports, levels and unknown flags are ArgsErrors', () => {
  assert.throws(() => parseOptions(['--port', '0'], root), ArgsError);
  assert.throws(() => parseOptions(['--port', '70000'], root), /--port must be a whole number/);
  assert.throws(() => parseOptions(['--port', '8761'], root), /both 8761/);
  assert.throws(() => parseOptions(['--log-level', 'loud'], root), /--log-level must be one of/);
  assert.throws(() => parseOptions(['--nope'], root), ArgsError);
  assert.throws(() => parseOptions(['extra'], root), ArgsError);
});

test('--db-prefix names databases and roles for a shared server; bad prefixes are refused', () => {
  assert.equal(parseOptions([], root).dbPrefix, 'souk_');
  assert.equal(parseOptions(['--db-prefix', 'souk_ci42_'], root).dbPrefix, 'souk_ci42_');
  for (const bad of ['Souk_', 'souk', '1souk_', 'souk-x_', 'souk_"; drop_']) {
    assert.throws(() => parseOptions(['--db-prefix', bad], root), ArgsError, bad);
  }
});

test('--cpu-prof names services to profile, repeatable and comma separated, each once; unknown ones are refused', () => {
  assert.deepEqual(parseOptions([], '/repo').cpuProfile, []);
  assert.deepEqual(parseOptions(['--cpu-prof', 'orders,cart', '--cpu-prof', 'orders'], '/repo').cpuProfile, ['orders', 'cart']);
  assert.throws(() => parseOptions(['--cpu-prof', 'nosuch'], '/repo'), /--cpu-prof: unknown service "nosuch"/);
});

test('--source-maps is off unless asked', () => {
  assert.equal(parseOptions([], '/repo').sourceMaps, false);
  assert.equal(parseOptions(['--source-maps'], '/repo').sourceMaps, true);
});
