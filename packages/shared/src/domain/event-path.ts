// Recorded events may name a path: the events of one transaction joined by '>' (`complete_result>complete`),
// because only the states a task or step rests in are recorded (docs/engine.md, "History"). A path is valid
// when every hop is one its machine allows; a path from nothing starts with `create` (into pending).

export const PATH_SEPARATOR = '>';

/** The events of a recorded path, in order. */
export function eventsOfPath(path: string): string[] {
  return path.split(PATH_SEPARATOR);
}

/** `events` recorded as one path. */
export function pathOf(...events: string[]): string {
  return events.join(PATH_SEPARATOR);
}

/**
 * Where `path` leads from `from` (null = nothing yet), hop by hop through `next`; undefined when a hop is
 * forbidden or names no event of the machine.
 */
export function followPath<S extends string, E extends string>(
  from: S | null,
  path: string,
  machine: { initial: S; isEvent: (event: string) => event is E; next: (state: S, event: E) => S | undefined },
): S | undefined {
  let state: S | undefined = from ?? undefined;
  for (const [i, event] of eventsOfPath(path).entries()) {
    if (i === 0 && from === null) {
      if (event !== 'create') return undefined;
      state = machine.initial;
      continue;
    }
    if (state === undefined || !machine.isEvent(event)) return undefined;
    state = machine.next(state, event);
  }
  return state;
}
