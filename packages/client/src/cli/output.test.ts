import { describe, expect, it } from 'vitest';
import { exitCodeOf } from './exit-codes.js';
import { formatResult, renderTable } from './output.js';

describe('CLI output', () => {
  it('prints the document as JSON or YAML, and tables aligned', () => {
    const result = { document: { task_uuid: 'u', steps: [1] }, table: () => 'T' };
    expect(formatResult(result, 'json')).toBe('{\n  "task_uuid": "u",\n  "steps": [\n    1\n  ]\n}');
    expect(formatResult(result, 'yaml')).toBe('task_uuid: u\nsteps:\n  - 1');
    expect(formatResult(result, 'table')).toBe('T');
    expect(formatResult({ document: { a: 1, long_key: null } }, 'table')).toBe('a         1\nlong_key  -');
    expect(
      renderTable(
        [{ n: 'x', v: 10 }],
        [
          { header: 'name', value: (r) => r.n },
          { header: 'v', value: (r) => r.v },
        ],
      ),
    ).toBe('NAME  V\nx     10');
    expect(renderTable([], [{ header: 'a', value: () => 1 }])).toBe('(none)');
  });

  it('maps error codes to distinct exit codes', () => {
    expect(exitCodeOf('NOT_FOUND')).toBe(3);
    expect(exitCodeOf('PERMISSION_DENIED')).toBe(4);
    expect(exitCodeOf('UNAUTHENTICATED')).toBe(4);
    expect(exitCodeOf('INVALID_STATE')).toBe(5);
    expect(exitCodeOf('VALIDATION_FAILED')).toBe(2);
    expect(exitCodeOf('INTERNAL')).toBe(1);
  });
});
