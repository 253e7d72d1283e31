// Where two JSON documents differ, as paths with array indices collapsed (`steps[].handler_callable`).

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(a: unknown, b: unknown, path: string, out: Set<string>): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.add(path || '(root)');
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) walk(a[i], b[i], `${path}[]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.add(path || '(root)');
}

/** Sorted paths whose values differ between `a` and `b`. */
export function differingPaths(a: unknown, b: unknown): string[] {
  const out = new Set<string>();
  walk(a, b, '', out);
  return [...out].sort();
}
