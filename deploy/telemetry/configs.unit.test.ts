// The production telemetry configs (deploy/telemetry): every YAML file parses, the collector's pipelines are
// wired to components it defines and read souk's log lines into the fields that link them to traces,
// Prometheus scrapes the admin listeners over mutual TLS, the rule files are well formed and name only
// metrics and labels souk really exports, and the retention matches the local telemetry service's. With
// promtool or otelcol-contrib on the PATH, their own checks run too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(entry.name) ? [file] : [];
  });
}

function load(relative: string): any {
  return parse(readFileSync(path.join(here, relative), 'utf8'));
}

const collector = load('otel-collector.yaml');
const prometheus = load('prometheus.yaml');
const tempo = load('tempo.yaml');
const loki = load('loki.yaml');
const ruleFiles = yamlFiles(path.join(here, 'rules'));
const ruleDocs = ruleFiles.map((file) => ({ file: path.relative(here, file), doc: parse(readFileSync(file, 'utf8')) }));
const allRules: any[] = ruleDocs.flatMap(({ doc }) => (doc?.groups ?? []).flatMap((g: any) => g?.rules ?? []));

test('every YAML file parses to a mapping', () => {
  const files = yamlFiles(here);
  assert.ok(files.length >= 5, `expected the collector, Prometheus, rules, Tempo and Loki files, found ${files.join(', ')}`);
  for (const file of files) {
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    assert.ok(doc !== null && typeof doc === 'object' && !Array.isArray(doc), `${path.relative(here, file)} is not a mapping`);
  }
});

/** A component id's type: `otlp_grpc/tempo` → `otlp_grpc`. */
const typeOf = (id: string) => id.split('/')[0]!;

test('collector: pipelines use only defined components, traces come in over OTLP and logs from the pod log files', () => {
  const pipelines: Record<string, any> = collector.service?.pipelines ?? {};
  assert.ok(pipelines.traces && pipelines.logs, 'a traces and a logs pipeline');
  for (const [name, pipeline] of Object.entries(pipelines)) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const ids: string[] = pipeline[kind] ?? [];
      if (kind !== 'processors') assert.ok(ids.length > 0, `pipeline ${name} has ${kind}`);
      for (const id of ids)
        assert.ok(id in (collector[kind] ?? {}), `pipeline ${name} uses ${kind.slice(0, -1)} ${id}, not defined`);
    }
    assert.equal(pipeline.processors?.[0], 'memory_limiter', `pipeline ${name}: the memory limiter comes first`);
  }
  for (const id of collector.service.extensions ?? [])
    assert.ok(id in (collector.extensions ?? {}), `extension ${id} is not defined`);

  assert.ok(pipelines.traces.receivers.includes('otlp'), 'traces arrive on the otlp receiver');
  const protocols = collector.receivers.otlp.protocols;
  assert.match(protocols.http.endpoint, /:4318$/, 'OTLP/HTTP on 4318 (what OTEL_EXPORTER_OTLP_ENDPOINT points at)');
  assert.match(protocols.grpc.endpoint, /:4317$/, 'OTLP/gRPC on 4317');
  assert.ok(
    pipelines.traces.exporters.every((id: string) => ['otlp_grpc', 'otlp_http'].includes(typeOf(id))),
    'traces leave over OTLP (Tempo or Jaeger)',
  );
  assert.ok(
    pipelines.logs.receivers.some((id: string) => typeOf(id) === 'file_log'),
    'logs are read from the pod log files by file_log',
  );
  assert.ok(
    pipelines.logs.exporters.every((id: string) => typeOf(id) === 'otlp_http'),
    "logs leave over OTLP/HTTP (Loki's /otlp)",
  );
});

test("collector: file_log turns a pino line into the record's severity, time, trace context and resource", () => {
  const receiver = Object.entries(collector.receivers).find(([id]) => typeOf(id) === 'file_log')?.[1] as any;
  assert.ok(receiver, 'a file_log receiver');
  assert.ok(
    receiver.include.every((glob: string) => glob.startsWith('/var/log/pods/souk_')),
    "reads the pods of namespace souk (the kubelet's /var/log/pods/<namespace>_<pod>_<uid>/…)",
  );
  const operators: any[] = receiver.operators;
  const ids = operators.map((op, i) => op.id ?? `${op.type}#${i}`);
  assert.equal(new Set(ids).size, ids.length, 'operator ids are unique');
  const find = (type: string, where: (op: any) => boolean = () => true) => operators.find((op) => op.type === type && where(op));

  assert.equal(operators[0].type, 'container', 'the container runtime framing is undone first');
  assert.ok(find('json_parser'), 'the JSON line is parsed');
  const severity = find('severity_parser', (op) => op.parse_from === 'attributes.level');
  assert.ok(severity, "severity from pino's level");
  assert.deepEqual(
    severity.mapping,
    { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 },
    "pino's level numbers (the labels are in the default mapping)",
  );
  assert.ok(
    find('time_parser', (op) => op.parse_from === 'attributes.time'),
    "the record's time from pino's time",
  );
  const trace = find('trace_parser');
  assert.equal(trace?.trace_id?.parse_from, 'attributes.trace_id', 'trace id into the trace context');
  assert.equal(trace?.span_id?.parse_from, 'attributes.span_id', 'span id into the trace context');
  const moved = (from: string) => find('move', (op) => op.from === from)?.to;
  assert.equal(moved('attributes.service'), 'resource["service.name"]');
  assert.equal(moved('attributes.instance'), 'resource["service.instance.id"]');
  assert.equal(moved('attributes.msg'), 'body');
});

test('Prometheus: scrapes the admin port of every souk pod over HTTPS with a client certificate', () => {
  const jobs: any[] = prometheus.scrape_configs ?? [];
  const job = jobs.find((j) => j.kubernetes_sd_configs?.some((sd: any) => sd.role === 'pod'));
  assert.ok(job, 'a scrape job discovering pods');
  assert.deepEqual(job.kubernetes_sd_configs[0].namespaces?.names, ['souk']);
  assert.equal(job.scheme, 'https');
  assert.equal(job.metrics_path ?? '/metrics', '/metrics');
  for (const key of ['ca_file', 'cert_file', 'key_file']) assert.ok(job.tls_config?.[key], `tls_config.${key}`);
  assert.ok(!job.tls_config.insecure_skip_verify, "the instance's certificate is verified");
  assert.equal(job.honor_labels, true, "souk's own service and instance labels are kept");

  const relabel: any[] = job.relabel_configs ?? [];
  const keepsAdminPort = relabel.some(
    (r) => r.action === 'keep' && r.source_labels?.includes('__meta_kubernetes_pod_container_port_name') && r.regex === 'admin',
  );
  assert.ok(keepsAdminPort, 'only the container port named admin is scraped');
  const targets = new Map(relabel.filter((r) => r.target_label).map((r) => [r.target_label, r.source_labels?.[0]]));
  assert.equal(
    targets.get('job'),
    '__meta_kubernetes_pod_label_app_kubernetes_io_name',
    'job is the scraped service (the caller of an edge)',
  );
  assert.equal(targets.get('service'), '__meta_kubernetes_pod_label_app_kubernetes_io_name');
  assert.equal(targets.get('instance'), '__meta_kubernetes_pod_name');
});

test('Prometheus: rule_files load every file of rules/', () => {
  const globs: string[] = prometheus.rule_files ?? [];
  const pattern = (glob: string) =>
    new RegExp(
      `^${path
        .basename(glob)
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')}$`,
    );
  assert.ok(ruleFiles.length > 0, 'rule files exist');
  for (const file of ruleFiles) {
    const name = path.basename(file);
    assert.ok(
      globs.some((glob) => path.basename(path.dirname(glob)) === 'rules' && pattern(glob).test(name)),
      `${name} is matched by rule_files ${globs.join(', ')}`,
    );
  }
});

test('rule files: groups with names, rules with a record or an alert and an expression', () => {
  const names = new Set<string>();
  for (const { file, doc } of ruleDocs) {
    assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0, `${file} has groups`);
    for (const group of doc.groups) {
      assert.ok(typeof group.name === 'string' && group.name !== '', `${file}: every group has a name`);
      assert.ok(!names.has(group.name), `group name ${group.name} is unique`);
      names.add(group.name);
      assert.ok(Array.isArray(group.rules) && group.rules.length > 0, `${file}: group ${group.name} has rules`);
      for (const rule of group.rules) {
        const what = rule.record ?? rule.alert;
        assert.ok((rule.record === undefined) !== (rule.alert === undefined), `${file}: ${what} has either record or alert`);
        assert.ok(typeof rule.expr === 'string' && rule.expr.trim() !== '', `${file}: ${what} has an expression`);
        if (rule.record !== undefined) {
          assert.match(rule.record, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, `${rule.record} is named level:metric:operations`);
        } else {
          assert.match(rule.alert, /^[A-Z][A-Za-z0-9]+$/, `alert ${rule.alert} is CamelCase`);
          assert.match(String(rule.for ?? '0s'), /^\d+[smh]$/, `${rule.alert}: for is a duration`);
          assert.ok(['warning', 'critical'].includes(rule.labels?.severity), `${rule.alert} has a severity`);
          assert.ok(rule.annotations?.summary, `${rule.alert} has a summary`);
        }
      }
    }
  }
  const alerts = allRules.filter((r) => r.alert).map((r) => r.alert);
  for (const wanted of ['SoukServiceErrorRatioHigh', 'SoukCircuitOpen', 'SoukEventConsumerLagGrowing']) {
    assert.ok(alerts.includes(wanted), `alert ${wanted}`);
  }
});

/** PromQL words that are neither metrics nor labels. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

/** The metric names of a PromQL expression: identifiers outside strings, label matchers, ranges and groupings that call nothing. */
function metricNames(expr: string): string[] {
  const text = expr
    .replace(STRINGS, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(GROUPING, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (
      text
        .slice(match.index + word.length)
        .trimStart()
        .startsWith('(')
    )
      continue; // a function or an aggregation
    names.add(word);
  }
  return [...names];
}

/** The label names of a PromQL expression: in matchers and in by/without/on/ignoring lists. */
function labelNames(expr: string): string[] {
  const text = expr.replace(STRINGS, '""');
  const names = new Set<string>();
  for (const [, matchers] of text.matchAll(/\{([^}]*)\}/g)) {
    for (const [, name] of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) names.add(name!);
  }
  for (const [, list] of text.matchAll(GROUPING)) {
    for (const name of list!.split(',').map((s) => s.trim())) if (name) names.add(name);
  }
  return [...names];
}

test('metricNames and labelNames read PromQL', () => {
  const expr =
    'sum by (service, le) (rate(foo_bucket{a="b", c=~"5.."}[5m])) / on (service) bar:baz:rate5m > 0.05 and label_replace(up, "x", "$1", "job", "(.*)")';
  assert.deepEqual(metricNames(expr).sort(), ['bar:baz:rate5m', 'foo_bucket', 'up']);
  assert.deepEqual(labelNames(expr).sort(), ['a', 'c', 'le', 'service']);
});

/** souk's TypeScript sources (not tests): where its metrics and labels are registered. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'test' || entry.name.startsWith('.')) return [];
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}
const souk = ['packages', 'platform']
  .flatMap((dir) => sources(path.join(root, dir)))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');
const inSouk = (name: string) => souk.includes(`'${name}'`) || souk.includes(`"${name}"`);

/** Series Prometheus makes itself for every target, and the labels its relabelling and the rules add. */
const PROMETHEUS_SERIES = new Set(['up']);
const PROMETHEUS_LABELS = new Set(['job', 'instance', 'service', 'namespace', 'pod', 'le', 'caller', 'callee']);

test('the rules use only metrics and labels that souk exports (or that the rules record)', () => {
  const recorded = new Set(allRules.filter((r) => r.record).map((r) => r.record as string));
  const unknownMetrics: string[] = [];
  const unknownLabels: string[] = [];
  for (const rule of allRules) {
    for (const name of metricNames(rule.expr)) {
      if (name.includes(':')) {
        if (!recorded.has(name)) unknownMetrics.push(`${name} (in ${rule.record ?? rule.alert}: no rule records it)`);
        continue;
      }
      if (PROMETHEUS_SERIES.has(name)) continue;
      const base = name.replace(/_(bucket|count|sum)$/, '');
      if (!inSouk(name) && !inSouk(base)) unknownMetrics.push(`${name} (in ${rule.record ?? rule.alert})`);
    }
    for (const label of labelNames(rule.expr)) {
      if (!PROMETHEUS_LABELS.has(label) && !inSouk(label)) unknownLabels.push(`${label} (in ${rule.record ?? rule.alert})`);
    }
  }
  assert.deepEqual(unknownMetrics, [], 'metrics no souk source under packages/ or platform/ registers');
  assert.deepEqual(unknownLabels, [], 'labels no souk source under packages/ or platform/ names');
});

test('souk_client_circuit_state: the alerts read the values the breakers export', () => {
  const breakers = readFileSync(path.join(root, 'packages/chassis/src/client/breakers.ts'), 'utf8');
  assert.match(breakers, /STATE_VALUE[^=]*=\s*\{\s*closed: 0, 'half-open': 1, open: 2\s*\}/, 'closed 0, half-open 1, open 2');
  const expr = (alert: string) => allRules.find((r) => r.alert === alert)?.expr as string;
  assert.match(
    expr('SoukCircuitOpen'),
    /souk_client_circuit_state\[5m\]\)\s*>\s*0/,
    'not closed (half-open or open) for 5 minutes',
  );
  assert.match(expr('SoukCalleeUnreachable'), /==\s*2\b/, 'every instance open');
});

/** '24h' → 24, '90m' → 1.5, '1d' → 24. */
function hours(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(String(duration));
  assert.ok(match, `${duration} is a duration in m, h or d`);
  return Number(match[1]) * { m: 1 / 60, h: 1, d: 24 }[match[2] as 'm' | 'h' | 'd'];
}

test("Tempo and Loki keep their data as long as souk's telemetry service does by default", () => {
  const config = readFileSync(path.join(root, 'platform/telemetry/src/config.ts'), 'utf8');
  const local = /TELEMETRY_RETENTION_HOURS:\s*Type\.Number\(\{[^}]*\bdefault:\s*(\d+(?:\.\d+)?)/.exec(config);
  assert.ok(local, "platform/telemetry/src/config.ts declares TELEMETRY_RETENTION_HOURS's default");
  const expected = Number(local[1]);
  assert.equal(hours(tempo.overrides.defaults.compaction.block_retention), expected, 'Tempo block_retention');
  assert.equal(hours(loki.limits_config.retention_period), expected, 'Loki retention_period');
  assert.equal(loki.compactor.retention_enabled, true, "Loki's compactor applies the retention");
  assert.equal(loki.compactor.delete_request_store, 'filesystem', 'Loki 3 needs a delete request store to apply retention');
  assert.ok(
    tempo.distributor.receivers.otlp.protocols.grpc.endpoint.endsWith(':4317'),
    "Tempo's OTLP/gRPC receiver is where the collector's otlp_grpc/tempo exporter sends",
  );
  assert.match(collector.exporters['otlp_grpc/tempo'].endpoint, /:4317$/);
  assert.match(collector.exporters['otlp_http/loki'].endpoint, /:3100\/otlp$/, "Loki's OTLP endpoint");
  assert.equal(loki.server.http_listen_port, 3100);
});

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `${path.basename(command)} ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
}

const promtool = onPath('promtool');
test(
  'promtool accepts the recording and alerting rules',
  { skip: !promtool && 'promtool is not installed (the structural checks above still ran)' },
  () => {
    run(promtool!, ['check', 'rules', ...ruleFiles]);
  },
);

test(
  'promtool accepts the Prometheus config',
  { skip: !promtool && 'promtool is not installed (the structural checks above still ran)' },
  (t) => {
    // --syntax-only: the certificate files and rule globs are paths inside the Prometheus pod.
    const result = spawnSync(promtool!, ['check', 'config', '--syntax-only', path.join(here, 'prometheus.yaml')], {
      cwd: root,
      encoding: 'utf8',
    });
    // Debian builds Prometheus without the Kubernetes service discovery: its promtool cannot read the section.
    if (result.status !== 0 && /field kubernetes_sd_configs not found/.test(result.stdout + result.stderr)) {
      t.skip('this promtool is built without Kubernetes service discovery (Debian); the structural checks above still ran');
      return;
    }
    assert.equal(result.status, 0, `promtool check config:\n${result.stdout}${result.stderr}`);
  },
);

const otelcol = onPath('otelcol-contrib');
test(
  'otelcol-contrib validates the collector config',
  { skip: !otelcol && 'otelcol-contrib is not installed (the structural checks above still ran)' },
  () => {
    run(otelcol!, ['validate', `--config=file:${path.join(here, 'otel-collector.yaml')}`]);
  },
);
