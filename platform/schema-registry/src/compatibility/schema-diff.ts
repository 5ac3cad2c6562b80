// The comparison of two schemas: can a reader holding `reader` accept every
// value a writer holding `writer` may produce? Differences that cannot be
// proven harmless are reported as incompatible, each with its path.

import { DiffContext, type DiffOptions } from './diff-context.ts';
import { show, type Difference } from './differences.ts';
import { comparePlain } from './plain-diff.ts';
import { isObject, loadDocument, shapeOf, type Shape } from './schema-nodes.ts';

/** Every difference found reading data written with `writer` through `reader` (both parsed JSON Schemas). */
export function diffSchemas(writer: unknown, reader: unknown, options: DiffOptions = {}): Difference[] {
  const ctx = DiffContext.root({ writer: loadDocument(writer), reader: loadDocument(reader) }, options);
  compareNodes(ctx, writer, reader);
  if (ctx.exhausted)
    ctx.add(
      'COMPARISON_TOO_COMPLEX',
      'the schemas are too large or too intertwined to compare completely, so compatibility cannot be proven',
    );
  return ctx.diffs;
}

/**
 * Compares two nodes at the context's path. `undefined` stands for a missing
 * subschema (an absent `items`): a missing reader schema accepts anything, a
 * missing writer schema allowed anything.
 */
export function compareNodes(ctx: DiffContext, writer: unknown, reader: unknown): void {
  if (!ctx.step()) return;
  if (reader === undefined) return;
  if (writer === undefined) writer = true;
  const w = shapeOf(writer, ctx.docs.writer);
  const r = shapeOf(reader, ctx.docs.reader);
  if (w.kind === 'unresolved' || r.kind === 'unresolved') {
    const ref = w.kind === 'unresolved' ? w.ref : (r as { ref: string }).ref;
    return ctx.add(
      'REFERENCE_UNRESOLVED',
      `the reference ${JSON.stringify(ref)} cannot be resolved inside its schema, so compatibility cannot be proven`,
    );
  }
  if (r.kind === 'any' || w.kind === 'never') return;
  const wId = identity(w);
  const rId = identity(r);
  if (wId && rId && !ctx.enter(wId, rId)) return;
  try {
    compareShapes(ctx, w, r);
  } finally {
    if (wId && rId) ctx.leave(wId, rId);
  }
}

function identity(shape: Shape): object | undefined {
  return 'node' in shape && isObject(shape.node) ? shape.node : undefined;
}

function compareShapes(ctx: DiffContext, w: Shape, r: Shape): void {
  if (w.kind === 'any') {
    return ctx.add('TYPE_NARROWED', '{writer} allows any value here but {reader} constrains it');
  }
  if (r.kind === 'never') {
    return ctx.add('TYPE_NARROWED', '{reader} accepts no value here (false) but {writer} allows one');
  }
  // Conjunctions in the reader and unions in the writer split into every case that must hold.
  if (r.kind === 'combined' && r.criterion === 'allOf') return readerAllOf(ctx, w, r);
  if (w.kind === 'combined' && w.criterion !== 'allOf') return writerUnion(ctx, w, r);
  if (w.kind === 'plain' && r.kind === 'combined' && Array.isArray(w.node.type) && w.node.type.length > 1) {
    // `type: ["string", "null"]` against an anyOf: each type in turn must find a reader branch.
    const expanded = (w.node.type as unknown[]).map((t) => ({ ...w.node, type: t }));
    return writerUnion(ctx, { kind: 'combined', criterion: 'anyOf', branches: expanded, node: w.node, synthetic: true }, r);
  }
  if (r.kind === 'combined') return readerUnion(ctx, w, r);
  if (w.kind === 'combined') return writerAllOf(ctx, w, r);
  if (w.kind === 'not' && r.kind === 'not') return compareNegations(ctx, w, r);
  if (w.kind === 'not' || r.kind === 'not') {
    return ctx.add(
      'TYPE_CHANGED',
      w.kind === 'not'
        ? '{writer} is a negation (not) and {reader} is not, so compatibility cannot be proven'
        : '{reader} became a negation (not), so compatibility cannot be proven',
    );
  }
  if (w.kind === 'plain' && r.kind === 'plain') comparePlain(ctx, w.node, r.node);
}

type Combined = Extract<Shape, { kind: 'combined' }>;

function branchContext(ctx: DiffContext, shape: Combined, index: number): DiffContext {
  return shape.synthetic ? ctx : ctx.at(shape.criterion, String(index));
}

/** The reader requires every branch: the writer's values must satisfy each one. */
function readerAllOf(ctx: DiffContext, w: Shape, r: Combined): void {
  r.branches.forEach((branch, i) => compareNodes(branchContext(ctx, r, i), shapeNode(w), branch));
}

/** The writer produces any of its branches: the reader must accept each one. */
function writerUnion(ctx: DiffContext, w: Combined, r: Shape): void {
  w.branches.forEach((branch, i) => compareNodes(branchContext(ctx, w, i), branch, shapeNode(r)));
}

/** The reader accepts any of its branches: one that accepts all the writer's values is enough. */
function readerUnion(ctx: DiffContext, w: Shape, r: Combined): void {
  const writer = shapeNode(w);
  const trials = r.branches.map((branch) => {
    const trial = ctx.trial();
    compareNodes(trial, writer, branch);
    return trial;
  });
  const fit = trials.find((t) => t.compatible);
  if (fit) return ctx.merge(fit);
  if (r.branches.length === 1) return ctx.merge(trials[0]!);
  ctx.add(
    'SUM_TYPE_NARROWED',
    `none of the ${r.branches.length} ${r.criterion} branches of {reader} accepts every value {writer} allows here (${show(writer)})`,
  );
}

/** The writer's values satisfy all its branches: one branch the reader accepts is enough. */
function writerAllOf(ctx: DiffContext, w: Combined, r: Shape): void {
  const reader = shapeNode(r);
  const trials = w.branches.map((branch, i) => {
    const trial = branchContext(ctx, w, i).trial();
    compareNodes(trial, branch, reader);
    return trial;
  });
  const fit = trials.find((t) => t.compatible);
  if (fit) {
    if (w.branches.length > 1)
      ctx.add('PRODUCT_TYPE_NARROWED', '{reader} checks fewer of the combined constraints than {writer}');
    return ctx.merge(fit);
  }
  // Report the branch that came closest: its reasons are the most telling.
  const best = trials.reduce((a, b) => (b.incompatibleCount() < a.incompatibleCount() ? b : a));
  ctx.merge(best);
}

/** not A reads not B when B ⊆ A: the inclusion reverses, so writer and reader swap. */
function compareNegations(ctx: DiffContext, w: Extract<Shape, { kind: 'not' }>, r: Extract<Shape, { kind: 'not' }>): void {
  const trial = ctx.at('not').swapped();
  compareNodes(trial, r.negated, w.negated);
  if (!trial.compatible) ctx.add('NOT_TYPE_EXTENDED', '{reader} excludes values (not) that {writer} allows', 'not');
}

/** The raw node a shape came from, to hand back to compareNodes. */
function shapeNode(shape: Shape): unknown {
  switch (shape.kind) {
    case 'any':
      return true;
    case 'never':
      return false;
    case 'plain':
      return shape.node;
    case 'not':
      return shape.node;
    // A synthetic allOf is its original mixed node; only an expanded type list needs a new node.
    case 'combined':
      return shape.synthetic && shape.criterion !== 'allOf' ? { [shape.criterion]: shape.branches } : shape.node;
    case 'unresolved':
      return true;
  }
}
