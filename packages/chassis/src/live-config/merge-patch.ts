// JSON Merge Patch (RFC 7396): how an environment's settings document applies over the service's base
// document at the config server. Objects merge member by member, `null` removes a member, anything else
// (arrays included) replaces. `mergePatchFrom` is the inverse: the patch that turns one document into another.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * The smallest merge patch that turns `from` into `to` (`applyMergePatch(from, patch)` equals `to`),
 * for documents of objects, arrays and scalars without `null` values (settings have none).
 */
export function mergePatchFrom(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!(key in from)) patch[key] = value;
    else if (JSON.stringify(from[key]) !== JSON.stringify(value)) patch[key] = mergePatchFrom(from[key], value);
  }
  return patch;
}
