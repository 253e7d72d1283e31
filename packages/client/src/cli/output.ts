// Output of the CLI: the REST JSON shape (snake_case, via the REST converters) as JSON or YAML, whatever the
// transport, so both transports print identical documents; or a human table.
import { stringify as toYaml } from 'yaml';

/** Values of `--output`. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What a command produced: its REST-shaped document, and optionally a table view of it. */
export interface CommandResult {
  document: unknown;
  table?: () => string;
}

/** A table column: header and how to read its cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Rows under aligned headers; an empty list says so. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** `key  value` lines of an object's fields (nested values as compact JSON). */
export function renderFields(document: Record<string, unknown>): string {
  const entries = Object.entries(document);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** The text a command prints for `format`. */
export function formatResult(result: CommandResult, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(result.document, null, 2);
    case 'yaml':
      return toYaml(result.document).trimEnd();
    case 'table':
      if (result.table !== undefined) return result.table();
      if (typeof result.document === 'object' && result.document !== null && !Array.isArray(result.document)) {
        return renderFields(result.document as Record<string, unknown>);
      }
      return typeof result.document === 'string' ? result.document : JSON.stringify(result.document, null, 2);
  }
}
