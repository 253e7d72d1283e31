// The live view of `task watch`: the DAG's steps with state, attempts and timings, redrawn in place on a
// terminal, one plain line per event otherwise.
import type { StepState, TaskState, TaskStatusEvent, TaskSummary } from '@tasker/shared';

interface StepRow {
  name: string;
  dependencies: string[];
  state: StepState;
  attempts: number;
  maxAttempts: number;
  /** When the current attempt started (entered in_progress). */
  startedAt: Date | null;
  /** When the step reached complete / error / resolved / cancelled. */
  finishedAt: Date | null;
}

const FINISHED: readonly StepState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];

const MARK: Record<StepState, string> = {
  pending: '·',
  enqueued: '…',
  in_progress: '▶',
  enqueued_for_orchestration: '…',
  enqueued_as_error_for_orchestration: '!',
  waiting_for_retry: '↻',
  complete: '✓',
  error: '✗',
  cancelled: '⊘',
  resolved_manually: '✓',
};

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** The state of the watched task, fed by its events. */
export class WatchView {
  private readonly rows: StepRow[];
  private readonly byName = new Map<string, StepRow>();
  private taskState: TaskState;
  private readonly startedAt: Date;
  private lastAt: Date;

  constructor(private readonly summary: TaskSummary) {
    const maxOf = new Map(summary.steps.map((s) => [s.name, s]));
    this.rows = summary.template.steps.map((t) => {
      const current = maxOf.get(t.name);
      return {
        name: t.name,
        dependencies: t.dependencies,
        state: current?.state ?? 'pending',
        attempts: current?.attempts ?? 0,
        maxAttempts: current?.maxAttempts ?? t.maxAttempts,
        startedAt: null,
        finishedAt: current?.completedAt ?? null,
      };
    });
    for (const row of this.rows) this.byName.set(row.name, row);
    this.taskState = summary.task.state;
    this.startedAt = summary.task.createdAt;
    this.lastAt = summary.task.updatedAt;
  }

  get state(): TaskState {
    return this.taskState;
  }

  apply(event: TaskStatusEvent): void {
    this.taskState = event.taskState;
    this.lastAt = event.occurredAt;
    if (event.step === null) return;
    const row = this.byName.get(event.step.name);
    if (row === undefined) return;
    row.state = event.step.state;
    row.attempts = Math.max(row.attempts, event.step.attempt);
    if (event.step.state === 'in_progress') {
      row.startedAt = event.occurredAt;
      row.finishedAt = null;
    } else if (FINISHED.includes(event.step.state)) {
      row.finishedAt = event.occurredAt;
    }
  }

  /** The full view as lines; `now` times running steps. */
  render(now: Date): string[] {
    const t = this.summary.task;
    const finished = FINISHED.includes(this.taskState as StepState);
    const elapsed = (finished ? this.lastAt : now).getTime() - this.startedAt.getTime();
    const width = Math.max(4, ...this.rows.map((r) => r.name.length));
    const stateWidth = Math.max(5, ...this.rows.map((r) => r.state.length));
    const lines = [
      `task ${t.taskUuid}  ${t.namespace}/${t.name}@${t.version}  ${this.taskState}  ${seconds(Math.max(0, elapsed))}`,
    ];
    for (const r of this.rows) {
      const timing = r.startedAt === null ? '' : seconds((r.finishedAt ?? now).getTime() - r.startedAt.getTime());
      const after = r.dependencies.length === 0 ? '' : `  ← ${r.dependencies.join(', ')}`;
      lines.push(
        `  ${MARK[r.state]} ${r.name.padEnd(width)}  ${r.state.padEnd(stateWidth)}  attempt ${r.attempts}/${r.maxAttempts}  ${timing.padStart(7)}${after}`.trimEnd(),
      );
    }
    return lines;
  }
}

/** One plain line per event (non-TTY output). */
export function eventLine(event: TaskStatusEvent): string {
  const at = event.occurredAt.toISOString();
  if (event.step === null) return `${at}  #${event.eventId}  task  ${event.taskState}`;
  return `${at}  #${event.eventId}  step  ${event.step.name}  ${event.step.state}  attempt ${event.step.attempt}`;
}

/**
 * Redraws a block of lines in place: moves up over the previous block and clears it first. Lines are cut to
 * the terminal width, since a wrapped line would throw the count of lines to move up over off.
 */
export class InPlaceRenderer {
  private drawn = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns?: number,
  ) {}

  draw(lines: string[]): void {
    const width = this.columns;
    const fitted =
      width === undefined || width < 2
        ? lines
        : lines.map((l) => (l.length >= width ? `${l.slice(0, width - 2)}…` : l));
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[0J` : '';
    this.write(`${up}${fitted.join('\n')}\n`);
    this.drawn = fitted.length;
  }
}
