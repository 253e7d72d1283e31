// Timestamps travel as RFC 3339 strings (UTC, `Z`); the domain uses Date.

export function timestampToRest(date: Date): string {
  return date.toISOString();
}

export function nullableTimestampToRest(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export function timestampFromRest(value: string): Date {
  return new Date(value);
}

export function nullableTimestampFromRest(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}

/** Copies `value` under `key` only when it is defined (exactOptionalPropertyTypes forbids explicit undefined). */
export function definedEntry<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
