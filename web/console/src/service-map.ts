// The service map's model: each service's health from the last scrapes, which calls fail, and a layered
// left-to-right layout of services and calls (the diagram's coordinates), computed here so that the page
// only draws it.

import { formatNumber, formatPercent, plural } from './format.ts';
import { SCRAPE_SECONDS } from './metrics.ts';
import type { MapEdge, ScrapeStatus } from './telemetry.ts';

/** A scrape older than three intervals before the newest one is stale. */
export const STALE_MS = 3 * SCRAPE_SECONDS * 1000;
const ENTRY = 'gateway';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

export interface ServiceState {
  name: string;
  instances: number;
  health: Health;
  /** Why it is unhealthy (or unknown); null when healthy. */
  reason: string | null;
}

/** "healthy", "unhealthy: orders-2: connect ECONNREFUSED", "unknown: not scraped (seen only in calls)". */
export const healthText = (s: ServiceState) => (s.reason === null ? s.health : `${s.health}: ${s.reason}`);

/** More than 1% of its calls failed, or any did. */
export const isFailing = (edge: MapEdge) => edge.errorRatio > 0.01 || edge.errors > 0;

/** The gateway first (where requests come in), then by name. */
const byEntryThenName = (a: string, b: string) => Number(b === ENTRY) - Number(a === ENTRY) || a.localeCompare(b);

/**
 * Every service scraped or seen in a call. A scraped one is healthy when the last scrape of each of its
 * instances succeeded and is recent (within STALE_MS of the newest scrape); one seen only in calls is unknown.
 */
export function serviceStates(scrapes: readonly ScrapeStatus[], edges: readonly MapEdge[]): ServiceState[] {
  const newest = Math.max(0, ...scrapes.map((s) => s.at));
  const states = new Map<string, ServiceState & { problems: string[] }>();
  for (const scrape of scrapes) {
    let state = states.get(scrape.service);
    if (!state)
      states.set(scrape.service, (state = { name: scrape.service, instances: 0, health: 'healthy', reason: null, problems: [] }));
    state.instances += 1;
    const age = newest - scrape.at;
    if (!scrape.ok) state.problems.push(`${scrape.instance}: ${scrape.error ?? 'the scrape failed'}`);
    else if (age > STALE_MS) state.problems.push(`${scrape.instance}: not scraped for ${Math.round(age / 1000)} s`);
  }
  const result: ServiceState[] = [...states.values()].map(({ problems, ...state }) =>
    problems.length === 0 ? state : { ...state, health: 'unhealthy', reason: problems.join('; ') },
  );
  const seen = new Set(states.keys());
  for (const edge of edges)
    for (const name of [edge.caller, edge.callee])
      if (!seen.has(name)) {
        seen.add(name);
        result.push({ name, instances: 0, health: 'unknown', reason: 'not scraped (seen only in calls)' });
      }
  return result.sort((a, b) => byEntryThenName(a.name, b.name));
}

/** Failing calls first, then the busiest. */
export function sortEdges(edges: readonly MapEdge[]): MapEdge[] {
  return [...edges].sort(
    (a, b) =>
      Number(isFailing(b)) - Number(isFailing(a)) ||
      b.errorRatio - a.errorRatio ||
      b.requests - a.requests ||
      byEntryThenName(a.caller, b.caller) ||
      a.callee.localeCompare(b.callee),
  );
}

/** The edge's words on the diagram: its error ratio when failing, its rate and p99 when measured. */
export function edgeLabel(edge: MapEdge, minutes: number): string[] {
  const lines: string[] = [];
  if (isFailing(edge)) lines.push(`${formatPercent(edge.errorRatio)} errors`);
  const rate = edge.requests > 0 ? `${formatNumber(edge.requests / minutes, 1)}/min` : undefined;
  const p99 = edge.p99Ms === null ? undefined : `p99 ${formatNumber(edge.p99Ms, edge.p99Ms < 10 ? 1 : 0)} ms`;
  if (rate || p99) lines.push([rate, p99].filter(Boolean).join(' · '));
  else if (edge.tracedSpans > 0) lines.push(`${plural(edge.tracedSpans, 'span', 'spans')} traced`);
  return lines;
}

// The diagram's geometry, in SVG user units (CSS pixels).
const NODE_HEIGHT = 50;
const WAYPOINT = '\u0000';
const WAYPOINT_HEIGHT = 12;
/** A label's line (12px text) and the width of one of its characters, near enough. */
export const LABEL_LINE = 14;
const LABEL_CHAR = 6.8;
const MIN_NODE_WIDTH = 130;
const GAP_X = 190;
const GAP_Y = 44;
const PAD = 24;
/** Room for a service's calls to itself, above the first row. */
const LOOP_ROOM = 40;

export interface PlacedNode extends ServiceState {
  x: number;
  y: number;
  width: number;
  height: number;
  layer: number;
}

export interface PlacedEdge {
  edge: MapEdge;
  /** Its words, a line each (edgeLabel). */
  label: string[];
  /** An SVG path. */
  path: string;
  /** The middle of the label. */
  labelX: number;
  labelY: number;
  /** `back`: a cycle's closing call, drawn from the callee (its arrow at the path's start); `self`: a loop. */
  shape: 'forward' | 'back' | 'self';
}

export interface MapLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/** Wide enough for the name (bold) and the line under it; no text measuring: a width per character. */
const widthOf = (state: ServiceState) =>
  Math.ceil(Math.max(MIN_NODE_WIDTH, state.name.length * 8.6 + 24, nodeDetail(state).length * 6.6 + 24));

export function nodeDetail(state: ServiceState): string {
  const instances = state.health === 'unknown' ? 'not scraped' : plural(state.instances, 'instance', 'instances');
  return state.health === 'unhealthy' ? `${instances} · unhealthy` : instances;
}

/**
 * Layers from the left: a service's layer is the longest chain of calls reaching it from a service nobody
 * calls. Cycles are broken by a depth-first walk from those (the gateway first): a call back to a service on
 * the walk's path, and any call to the gateway, is a back-edge, laid out turned round (from its callee, its
 * arrow at its start). A call that skips layers gets a waypoint in each one it crosses, so that it goes
 * round services rather than through them. Within a layer, services and waypoints sit near the average
 * height of what leads to them (a barycenter pass), which keeps crossings few. Overlapping labels move down.
 */
export function layoutMap(states: readonly ServiceState[], edges: readonly MapEdge[], minutes: number): MapLayout {
  const names = states.map((s) => s.name);
  const callees = new Map<string, string[]>(names.map((n) => [n, []]));
  const hasCaller = new Set<string>();
  for (const e of edges) {
    if (e.caller === e.callee) continue;
    callees.get(e.caller)?.push(e.callee);
    hasCaller.add(e.callee);
  }
  for (const list of callees.values()) list.sort(byEntryThenName);

  // Depth-first, roots first: the back-edges, and the order services were found in.
  const starts = [...names.filter((n) => !hasCaller.has(n) || n === ENTRY), ...names];
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const back = new Set<string>();
  const visit = (name: string) => {
    state.set(name, 'open');
    found.push(name);
    for (const next of callees.get(name) ?? []) {
      const seen = state.get(next);
      // Nothing goes before the gateway: a call to it is drawn backwards.
      if (seen === 'open' || next === ENTRY) back.add(pair(name, next));
      else if (seen === undefined) visit(next);
    }
    state.set(name, 'done');
  };
  for (const name of starts) if (!state.has(name)) visit(name);
  const isBack = (e: MapEdge) => back.has(pair(e.caller, e.callee));

  // Back-edges turned round, the calls form no cycle: a service's layer is the longest path to it (Kahn's
  // order, services taken as the walk found them).
  const leftOf = (e: MapEdge) => (isBack(e) ? e.callee : e.caller);
  const rightOf = (e: MapEdge) => (isBack(e) ? e.caller : e.callee);
  const between = edges.filter((e) => e.caller !== e.callee);
  const layer = new Map<string, number>(names.map((n) => [n, 0]));
  const waiting = new Map<string, number>(names.map((n) => [n, 0]));
  for (const e of between) waiting.set(rightOf(e), waiting.get(rightOf(e))! + 1);
  const ready = found.filter((n) => waiting.get(n) === 0);
  for (let name = ready.shift(); name !== undefined; name = ready.shift())
    for (const e of between.filter((b) => leftOf(b) === name)) {
      const next = rightOf(e);
      layer.set(next, Math.max(layer.get(next)!, layer.get(name)! + 1));
      waiting.set(next, waiting.get(next)! - 1);
      if (waiting.get(next) === 0) ready.push(next);
    }

  // Slots: the services of each layer, then the waypoints of the calls that cross it.
  const layers: string[][] = [];
  for (const name of found) (layers[layer.get(name)!] ??= []).push(name);
  const leadsTo = new Map<string, string[]>(names.map((n) => [n, []]));
  // A back-edge is laid out left to right like the others, its arrow at its start.
  const waypoints = new Map<MapEdge, string[]>();
  between.forEach((e, index) => {
    const list: string[] = [];
    let previous = leftOf(e);
    for (let l = layer.get(leftOf(e))! + 1; l < layer.get(rightOf(e))!; l++) {
      const slot = `${WAYPOINT}${index}:${l}`;
      layers[l]!.push(slot);
      leadsTo.set(slot, [previous]);
      list.push(slot);
      previous = slot;
    }
    leadsTo.get(rightOf(e))!.push(previous);
    waypoints.set(e, list);
  });

  // A slot's row, counted from its column's middle (columns are centred on one another).
  const row = new Map<string, number>();
  const number = (list: string[]) => list.forEach((n, i) => row.set(n, i - (list.length - 1) / 2));
  layers.forEach(number);
  for (const list of layers.slice(1)) {
    const center = (slot: string) => {
      const rows = (leadsTo.get(slot) ?? []).map((c) => row.get(c)!);
      return rows.length === 0 ? row.get(slot)! : rows.reduce((a, b) => a + b, 0) / rows.length;
    };
    const centers = new Map(list.map((n) => [n, center(n)]));
    list.sort((a, b) => centers.get(a)! - centers.get(b)! || byEntryThenName(a, b));
    number(list);
  }

  // Coordinates: columns as wide as their widest service, each centred vertically on the tallest.
  const byName = new Map(states.map((s) => [s.name, s]));
  const heightOf = (slot: string) => (slot.startsWith(WAYPOINT) ? WAYPOINT_HEIGHT : NODE_HEIGHT);
  const columnHeight = (list: string[]) => list.reduce((h, slot) => h + heightOf(slot), 0) + (list.length - 1) * GAP_Y;
  const tallest = Math.max(NODE_HEIGHT, ...layers.map(columnHeight));
  const top = PAD + (edges.some((e) => e.caller === e.callee) ? LOOP_ROOM : 0);
  const placed = new Map<string, PlacedNode>();
  const slotTop = new Map<string, number>();
  const columns: { x: number; width: number }[] = [];
  let x = PAD;
  layers.forEach((list, index) => {
    const width = Math.max(MIN_NODE_WIDTH, ...list.filter((n) => byName.has(n)).map((n) => widthOf(byName.get(n)!)));
    let y = top + (tallest - columnHeight(list)) / 2;
    for (const slot of list) {
      slotTop.set(slot, y);
      const service = byName.get(slot);
      if (service) placed.set(slot, { ...service, x, y, width, height: NODE_HEIGHT, layer: index });
      y += heightOf(slot) + GAP_Y;
    }
    columns.push({ x, width });
    x += width + GAP_X;
  });
  const middleOf = (slot: string) => slotTop.get(slot)! + heightOf(slot) / 2;

  // Calls leave a service's right side and enter the left side, spread in the order of where they go next.
  const outs = new Map<string, MapEdge[]>();
  const ins = new Map<string, MapEdge[]>();
  for (const e of between) {
    outs.set(leftOf(e), [...(outs.get(leftOf(e)) ?? []), e]);
    ins.set(rightOf(e), [...(ins.get(rightOf(e)) ?? []), e]);
  }
  const firstHop = (e: MapEdge) => middleOf(waypoints.get(e)![0] ?? rightOf(e));
  const lastHop = (e: MapEdge) => middleOf(waypoints.get(e)!.at(-1) ?? leftOf(e));
  const port = (list: MapEdge[], edge: MapEdge, hop: (e: MapEdge) => number) => {
    const sorted = [...list].sort((a, b) => hop(a) - hop(b));
    return ((sorted.indexOf(edge) + 1) / (sorted.length + 1)) * NODE_HEIGHT;
  };
  /** One gap's S-curve; its middle is halfway in both directions. */
  const curve = (x0: number, y0: number, x3: number, y3: number) => {
    const bend = (x3 - x0) / 2;
    return `C ${x0 + bend} ${y0}, ${x3 - bend} ${y3}, ${x3} ${y3}`;
  };

  const placedEdges = edges.map((edge): PlacedEdge => {
    const label = edgeLabel(edge, minutes);
    if (edge.caller === edge.callee) {
      const from = placed.get(edge.caller)!;
      const left = from.x + from.width * 0.35;
      const right = from.x + from.width * 0.65;
      return {
        edge,
        label,
        shape: 'self',
        path: `M ${right} ${from.y} C ${right} ${from.y - 36}, ${left} ${from.y - 36}, ${left} ${from.y}`,
        labelX: from.x + from.width / 2,
        labelY: from.y - 30 - (label.length * LABEL_LINE) / 2,
      };
    }
    const left = placed.get(leftOf(edge))!;
    const right = placed.get(rightOf(edge))!;
    let x0 = left.x + left.width;
    let y0 = left.y + port(outs.get(left.name)!, edge, firstHop);
    let path = `M ${x0} ${y0}`;
    for (const slot of waypoints.get(edge)!) {
      const column = columns[left.layer + 1 + waypoints.get(edge)!.indexOf(slot)]!;
      const y = middleOf(slot);
      path += ` ${curve(x0, y0, column.x, y)} L ${column.x + column.width} ${y}`;
      x0 = column.x + column.width;
      y0 = y;
    }
    const y3 = right.y + port(ins.get(right.name)!, edge, lastHop);
    // The label sits halfway along the last gap.
    return {
      edge,
      label,
      shape: isBack(edge) ? 'back' : 'forward',
      path: `${path} ${curve(x0, y0, right.x, y3)}`,
      labelX: (x0 + right.x) / 2,
      labelY: (y0 + y3) / 2,
    };
  });
  spreadLabels(placedEdges);

  const bottoms = [top + tallest, ...placedEdges.map((e) => e.labelY + (e.label.length * LABEL_LINE) / 2)];
  return {
    width: Math.max(x - GAP_X + PAD, 2 * PAD),
    height: Math.max(...bottoms) + PAD,
    nodes: [...placed.values()],
    edges: placedEdges,
  };
}

const pair = (caller: string, callee: string) => `${caller}\u0000${callee}`;

/** Labels whose boxes overlap are moved down, the highest first, until none does. */
function spreadLabels(edges: PlacedEdge[]): void {
  const size = (e: PlacedEdge) => ({
    width: Math.max(0, ...e.label.map((l) => l.length)) * LABEL_CHAR + 8,
    height: e.label.length * LABEL_LINE + 2,
  });
  const done: PlacedEdge[] = [];
  for (const e of [...edges].filter((e) => e.label.length > 0).sort((a, b) => a.labelY - b.labelY || a.labelX - b.labelX)) {
    const mine = size(e);
    for (let moved = true; moved;) {
      moved = false;
      for (const other of done) {
        const theirs = size(other);
        const apartX = Math.abs(e.labelX - other.labelX) >= (mine.width + theirs.width) / 2;
        const apartY = Math.abs(e.labelY - other.labelY) >= (mine.height + theirs.height) / 2;
        if (apartX || apartY) continue;
        e.labelY = other.labelY + (mine.height + theirs.height) / 2;
        moved = true;
      }
    }
    done.push(e);
  }
}
