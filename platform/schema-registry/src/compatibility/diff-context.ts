// State of one comparison: where in the schema we are, the differences found
// so far, the two documents `$ref`s resolve in, and the guards that keep
// recursive or pathological schemas from looping or exploding.

import { isCompatibleDifference, type Difference, type OpenContentModelPolicy } from './differences.ts';
import type { SchemaDocument } from './schema-nodes.ts';

export interface DiffOptions {
  /** How a property added where the writer's content model was open is judged (default `lenient`). */
  openContentModel?: OpenContentModelPolicy;
  /** Node comparisons allowed before giving up as incompatible (default 20 000). */
  maxSteps?: number;
}

interface Shared {
  readonly policy: OpenContentModelPolicy;
  readonly maxSteps: number;
  steps: number;
  exhausted: boolean;
  /** (writer node, reader node) pairs being compared further up the stack. */
  readonly inProgress: Map<object, Set<object>>;
}

export interface Documents {
  readonly writer: SchemaDocument;
  readonly reader: SchemaDocument;
}

export class DiffContext {
  private constructor(
    private readonly shared: Shared,
    readonly docs: Documents,
    private readonly path: readonly string[],
    readonly diffs: Difference[],
  ) {}

  static root(docs: Documents, options: DiffOptions = {}): DiffContext {
    const shared: Shared = {
      policy: options.openContentModel ?? 'lenient',
      maxSteps: options.maxSteps ?? 20_000,
      steps: 0,
      exhausted: false,
      inProgress: new Map(),
    };
    return new DiffContext(shared, docs, [], []);
  }

  get policy(): OpenContentModelPolicy {
    return this.shared.policy;
  }

  /** The same comparison one level deeper: differences land in the same list. */
  at(...segments: string[]): DiffContext {
    return new DiffContext(this.shared, this.docs, [...this.path, ...segments.map(escape)], this.diffs);
  }

  /** A trial comparison at the same place whose differences are kept apart until merged. */
  trial(): DiffContext {
    return new DiffContext(this.shared, this.docs, this.path, []);
  }

  /** Writer and reader exchanged (a `not` reverses the direction of inclusion). */
  swapped(): DiffContext {
    return new DiffContext(this.shared, { writer: this.docs.reader, reader: this.docs.writer }, this.path, []);
  }

  merge(other: DiffContext): void {
    if (other.diffs !== this.diffs) this.diffs.push(...other.diffs);
  }

  add(type: string, detail: string, ...segments: string[]): void {
    const path = [...this.path, ...segments.map(escape)];
    this.diffs.push({ type, path: `#/${path.join('/')}`, detail });
  }

  /** A comparison cut short proves nothing, so it is never compatible. */
  get compatible(): boolean {
    return !this.shared.exhausted && this.diffs.every((d) => isCompatibleDifference(d.type, this.shared.policy));
  }

  incompatibleCount(): number {
    return this.diffs.filter((d) => !isCompatibleDifference(d.type, this.shared.policy)).length;
  }

  get exhausted(): boolean {
    return this.shared.exhausted;
  }

  /** Counts a node comparison; false once the budget is spent (the root then reports it). */
  step(): boolean {
    if (this.shared.exhausted) return false;
    if (++this.shared.steps <= this.shared.maxSteps) return true;
    this.shared.exhausted = true;
    return false;
  }

  /**
   * Marks a pair as being compared; false when it already is further up the
   * stack. Such a recursive cycle is assumed compatible: any difference inside
   * it is found on the first pass through the cycle.
   */
  enter(writer: object, reader: object): boolean {
    let readers = this.shared.inProgress.get(writer);
    if (!readers) this.shared.inProgress.set(writer, (readers = new Set()));
    if (readers.has(reader)) return false;
    readers.add(reader);
    return true;
  }

  leave(writer: object, reader: object): void {
    this.shared.inProgress.get(writer)?.delete(reader);
  }
}

/** Path segments are escaped as in JSON pointers, so a property named "a/b" stays one segment. */
function escape(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}
