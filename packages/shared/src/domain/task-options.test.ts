import { describe, expect, it } from 'vitest';
import { TASK_OPTIONS_LIMITS } from './limits.js';
import { taskOptionsProblems } from './task-options.js';

const paths = (options: Record<string, unknown>) => taskOptionsProblems(options).map((p) => p.path);

describe('task options bounds', () => {
  it('accepts options up to every bound', () => {
    const l = TASK_OPTIONS_LIMITS;
    expect(taskOptionsProblems({})).toEqual([]);
    expect(taskOptionsProblems({ ['k'.repeat(l.maxKeyLength)]: 'v'.repeat(l.maxValueLength) })).toEqual([]);
    const many = Object.fromEntries(Array.from({ length: l.maxEntries }, (_, i) => [`k${i}`, 'v']));
    expect(taskOptionsProblems(many)).toEqual([]);
  });

  it('names the option, or options, for each bound exceeded', () => {
    const l = TASK_OPTIONS_LIMITS;
    expect(paths({ mode: 'v'.repeat(l.maxValueLength + 1) })).toEqual(['options.mode']);
    expect(paths({ ['k'.repeat(l.maxKeyLength + 1)]: 'v' })).toEqual(['options']);
    expect(paths({ '': 'v' })).toEqual(['options']);
    expect(paths({ retries: 3 })).toEqual(['options.retries']);
    expect(paths(Object.fromEntries(Array.from({ length: l.maxEntries + 1 }, (_, i) => [`k${i}`, 'v'])))).toEqual([
      'options',
    ]);
    // Each value within its bound, the whole over the total (multi-byte characters count as bytes).
    const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'é'.repeat(2000)]));
    expect(taskOptionsProblems(big)).toEqual([
      { path: 'options', message: `must be at most ${l.maxTotalBytes} bytes as JSON` },
    ]);
  });
});
