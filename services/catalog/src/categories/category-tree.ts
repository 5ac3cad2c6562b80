// Category tree rules: how product counts roll up from subcategories to their
// parents and the order categories are listed in. The tree is small (tens of
// rows), so it is walked in memory.

export interface CategoryNode {
  id: string;
  slug: string;
  parentId: string | null;
}

/** The category with `rootId` and every category below it, in no particular order. */
export function subtreeIds(categories: readonly CategoryNode[], rootId: string): string[] {
  const children = childrenByParent(categories);
  const found: string[] = [];
  const seen = new Set<string>();
  const stack = [rootId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    // The schema forbids cycles only one level deep; a visited set keeps a bad row from looping forever.
    if (seen.has(id)) continue;
    seen.add(id);
    found.push(id);
    for (const child of children.get(id) ?? []) stack.push(child);
  }
  return found;
}

/** Per category: its own products plus those of all its subcategories. */
export function rollUpCounts(categories: readonly CategoryNode[], direct: ReadonlyMap<string, number>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const c of categories) {
    let sum = 0;
    for (const id of subtreeIds(categories, c.id)) sum += direct.get(id) ?? 0;
    totals.set(c.id, sum);
  }
  return totals;
}

/**
 * Categories ordered for display: each parent followed by its children, siblings
 * by name. Orphans (a parent id that is missing) are treated as roots.
 */
export function treeOrder<T extends CategoryNode & { name: string }>(categories: readonly T[]): T[] {
  const ids = new Set(categories.map((c) => c.id));
  const byName = (a: T, b: T) => a.name.localeCompare(b.name, 'en');
  const kids = new Map<string | null, T[]>();
  for (const c of categories) {
    const parent = c.parentId !== null && ids.has(c.parentId) ? c.parentId : null;
    kids.set(parent, [...(kids.get(parent) ?? []), c]);
  }
  const out: T[] = [];
  const visit = (parent: string | null) => {
    for (const c of (kids.get(parent) ?? []).sort(byName)) {
      if (out.includes(c)) continue;
      out.push(c);
      visit(c.id);
    }
  };
  visit(null);
  return out;
}

function childrenByParent(categories: readonly CategoryNode[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const c of categories) {
    if (c.parentId === null) continue;
    map.set(c.parentId, [...(map.get(c.parentId) ?? []), c.id]);
  }
  return map;
}
