// A trace's spans as the waterfall shows them: a tree by parent id (children under their parent, in start
// order), each placed on the trace's time line. A span whose parent is not in the trace is a root: the
// trace was continued from outside, or the parent's span was not kept.

import type { Span } from './telemetry.ts';

export interface WaterfallRow {
  span: Span;
  depth: number;
  /** Start, from the trace's start, in percent of the trace's duration. */
  offsetPct: number;
  widthPct: number;
}

export interface Waterfall {
  rows: WaterfallRow[];
  startUs: number;
  durationUs: number;
  services: string[];
}

/** Narrower bars would not be seen. */
const MIN_WIDTH_PCT = 0.4;

const byStart = (a: Span, b: Span) => a.startUs - b.startUs || a.name.localeCompare(b.name);

export function buildWaterfall(spans: readonly Span[]): Waterfall {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === null || parent === span.spanId || !ids.has(parent)) {
      roots.push(span);
      continue;
    }
    const siblings = children.get(parent);
    if (siblings) siblings.push(span);
    else children.set(parent, [span]);
  }
  for (const siblings of children.values()) siblings.sort(byStart);
  roots.sort(byStart);

  const startUs = spans.length ? Math.min(...spans.map((s) => s.startUs)) : 0;
  const endUs = spans.length ? Math.max(...spans.map((s) => s.startUs + s.durationUs)) : 0;
  const durationUs = endUs - startUs;
  const place = (span: Span, depth: number): WaterfallRow => {
    if (durationUs <= 0) return { span, depth, offsetPct: 0, widthPct: 100 };
    const widthPct = Math.max((span.durationUs / durationUs) * 100, MIN_WIDTH_PCT);
    const offsetPct = Math.min(((span.startUs - startUs) / durationUs) * 100, 100 - widthPct);
    return { span, depth, offsetPct, widthPct };
  };

  // Depth first with a stack (a deep trace must not overflow the call stack); a span seen once is not
  // walked again, so a malformed trace with a parent cycle still ends.
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const walk = (root: Span) => {
    const stack: { span: Span; depth: number }[] = [{ span: root, depth: 0 }];
    while (stack.length) {
      const { span, depth } = stack.pop()!;
      if (seen.has(span.spanId)) continue;
      seen.add(span.spanId);
      rows.push(place(span, depth));
      const kids = children.get(span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
    }
  };
  for (const root of roots) walk(root);
  // Spans only reachable through a cycle: shown as roots rather than lost.
  for (const span of [...spans].sort(byStart)) if (!seen.has(span.spanId)) walk(span);

  return { rows, startUs, durationUs, services: [...new Set(spans.map((s) => s.service))].sort() };
}
