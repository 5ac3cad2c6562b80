// What a version changed against the one before it, setting by setting, as JSON Pointer paths: the
// audit's "diff". Objects are compared member by member; anything else (arrays included) as a whole.

import type { SettingChange } from '@souk/chassis';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function diffSettings(before: unknown, after: unknown, path = ''): SettingChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffSettings(before[k], after[k], `${path}/${escape(k)}`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [
    {
      path: path || '/',
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    },
  ];
}
