// docs/engine.md "State machines" lists exactly the transitions of TASK_TRANSITIONS and STEP_TRANSITIONS.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEP_STATES, TASK_STATES } from './states.js';
import { listStepTransitions } from './step-machine.js';
import { listTaskTransitions } from './task-machine.js';

const ENGINE_DOC = readFileSync(new URL('../../../../docs/engine.md', import.meta.url), 'utf8');

/** The states (in row order) and the `from event to` moves of the doc table whose header cell is `head`. */
function documentedTable(head: string): { states: string[]; moves: string[] } {
  const lines = ENGINE_DOC.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${head} |`));
  expect(start, `docs/engine.md has a table headed "${head}"`).toBeGreaterThanOrEqual(0);
  const states: string[] = [];
  const moves: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [, state, cell] = /^\| `([a-z_]+)` \| (.*) \|$/.exec(line) ?? [];
    expect(state, `table row: ${line}`).toBeDefined();
    states.push(state ?? '');
    for (const m of (cell ?? '').matchAll(/`([a-z_]+)` → ([a-z_]+)/g)) moves.push(`${state} ${m[1]} ${m[2]}`);
  }
  return { states, moves: moves.sort() };
}

describe('docs/engine.md state machine tables', () => {
  it('list every task transition and no other', () => {
    const doc = documentedTable('Task state');
    expect(doc.states).toEqual([...TASK_STATES]);
    expect(doc.moves).toEqual(
      listTaskTransitions()
        .map((t) => `${t.from} ${t.event} ${t.to}`)
        .sort(),
    );
  });

  it('list every step transition and no other', () => {
    const doc = documentedTable('Step state');
    expect(doc.states).toEqual([...STEP_STATES]);
    expect(doc.moves).toEqual(
      listStepTransitions()
        .map((t) => `${t.from} ${t.event} ${t.to}`)
        .sort(),
    );
  });
});
