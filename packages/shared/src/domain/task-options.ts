// Task `options`: free-form request options stored with the task (a string map: the gRPC field is
// map<string, string>). Bounded like every other stored input, checked once in the service so both transports
// refuse the same requests with the same field paths.
import type { FieldProblem } from '../errors.js';
import { TASK_OPTIONS_LIMITS } from './limits.js';

/** Problems of `options` (empty = acceptable), paths `options` / `options.<key>`. */
export function taskOptionsProblems(options: Readonly<Record<string, unknown>>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const keys = Object.keys(options);
  const l = TASK_OPTIONS_LIMITS;
  if (keys.length > l.maxEntries)
    problems.push({ path: 'options', message: `must have at most ${l.maxEntries} entries` });
  for (const key of keys) {
    const value = options[key];
    if (key.length === 0 || key.length > l.maxKeyLength) {
      problems.push({
        path: 'options',
        message: `keys must be 1-${l.maxKeyLength} characters (got '${key.slice(0, 40)}')`,
      });
    } else if (typeof value !== 'string') {
      problems.push({
        path: `options.${key}`,
        message: 'must be a string (options is a string map; send other values JSON-encoded)',
      });
    } else if (value.length > l.maxValueLength) {
      problems.push({ path: `options.${key}`, message: `must be at most ${l.maxValueLength} characters` });
    }
  }
  if (problems.length === 0 && new TextEncoder().encode(JSON.stringify(options)).length > l.maxTotalBytes) {
    problems.push({ path: 'options', message: `must be at most ${l.maxTotalBytes} bytes as JSON` });
  }
  return problems;
}
