// How an `{id}` path parameter names a product or category: by UUID or by slug.

import { SLUG_PATTERN, UUID_PATTERN } from '../contract.ts';

const UUID = new RegExp(UUID_PATTERN);
const SLUG = new RegExp(SLUG_PATTERN);

export type Ref = { by: 'id'; id: string } | { by: 'slug'; slug: string };

/** The reference `text` makes, or undefined when it is neither a UUID nor a slug (so nothing matches). */
export function parseRef(text: string): Ref | undefined {
  if (UUID.test(text)) return { by: 'id', id: text.toLowerCase() };
  if (SLUG.test(text)) return { by: 'slug', slug: text };
  return undefined;
}
