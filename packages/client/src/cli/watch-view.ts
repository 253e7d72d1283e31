// The live view of `task watch`: the DAG's steps with state, attempts and timings, redrawn in place on a
// terminal, one plain line per event otherwise. The graph grows with the task: steps a decision or batchable
// step creates appear as they are created, indented under the step whose outcome created them.
import type { Step, StepState, TaskExpansion, TaskState, TaskStatusEvent, TaskSummary } from '@tasker/shared';
import { initialStepNames } from '@tasker/shared/domain/template-dynamic';

interface StepRow {
  name: string;
  dependencies: string[];
  /** The step whose outcome created this one; null for the steps the task started with. */
  createdBy: string | null;
  /** Outcome of a decision or batchable step that created nothing (`no_branches`). */
  emptyOutcome: string | null;
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
  private readonly rows: StepRow[] = [];
  private readonly byName = new Map<string, StepRow>();
  private readonly templateOf: Map<string, TaskSummary['template']['steps'][number]>;
  private taskState: TaskState;
  private readonly startedAt: Date;
  private lastAt: Date;

  /**
   * Rows for the task's existing steps (creation order), then for the template steps a task starts with that
   * have no step yet. `steps` (the full step reads) give each step's creator.
   */
  constructor(
    private readonly summary: TaskSummary,
    steps: readonly Pick<Step, 'name' | 'createdByStepName' | 'batch'>[] = [],
  ) {
    this.templateOf = new Map(summary.template.steps.map((t) => [t.name, t]));
    const full = new Map(steps.map((s) => [s.name, s]));
    for (const current of summary.steps) {
      const step = full.get(current.name);
      const row = this.addRow(current.name, step?.batch?.templateStep ?? current.name);
      row.createdBy = step?.createdByStepName ?? null;
      row.state = current.state;
      row.attempts = current.attempts;
      row.maxAttempts = current.maxAttempts;
      row.finishedAt = current.completedAt;
    }
    const nodes = summary.template.steps.map((t) => ({ name: t.name, type: t.stepType, dependencies: t.dependencies }));
    for (const name of initialStepNames(nodes)) if (!this.byName.has(name)) this.addRow(name, name);
    this.taskState = summary.task.state;
    this.startedAt = summary.task.createdAt;
    this.lastAt = summary.task.updatedAt;
  }

  get state(): TaskState {
    return this.taskState;
  }

  /** A pending row for step `name` of template step `template` (a batch worker's template is not its name). */
  private addRow(name: string, template: string): StepRow {
    const t = this.templateOf.get(template);
    const row: StepRow = {
      name,
      dependencies: t?.dependencies ?? [],
      createdBy: null,
      emptyOutcome: null,
      state: 'pending',
      attempts: 0,
      maxAttempts: t?.maxAttempts ?? 1,
      startedAt: null,
      finishedAt: null,
    };
    this.rows.push(row);
    this.byName.set(name, row);
    return row;
  }

  apply(event: TaskStatusEvent): void {
    this.taskState = event.taskState;
    this.lastAt = event.occurredAt;
    if (event.expansion !== null) {
      this.applyExpansion(event.expansion);
      return;
    }
    if (event.step === null) return;
    // A created step's `pending` event comes just before the event of the expansion that created it.
    const row = this.byName.get(event.step.name) ?? this.addRow(event.step.name, event.step.name);
    row.state = event.step.state;
    row.attempts = Math.max(row.attempts, event.step.attempt);
    if (event.step.state === 'in_progress') {
      row.startedAt = event.occurredAt;
      row.finishedAt = null;
    } else if (FINISHED.includes(event.step.state)) {
      row.finishedAt = event.occurredAt;
    }
  }

  private applyExpansion(x: TaskExpansion): void {
    const workerPrefix = x.workerTemplate === null ? null : `${x.workerTemplate}_`;
    for (const created of x.createdSteps) {
      const template =
        workerPrefix !== null && created.name.startsWith(workerPrefix) && !this.templateOf.has(created.name)
          ? (x.workerTemplate as string)
          : created.name;
      const existing = this.byName.get(created.name);
      const row = existing ?? this.addRow(created.name, template);
      if (existing !== undefined && template !== created.name) {
        const t = this.templateOf.get(template);
        row.dependencies = t?.dependencies ?? row.dependencies;
        row.maxAttempts = t?.maxAttempts ?? row.maxAttempts;
      }
      row.createdBy = x.triggerStepName;
    }
    const trigger = this.byName.get(x.triggerStepName);
    if (trigger !== undefined) trigger.emptyOutcome = x.createdSteps.length === 0 ? x.outcomeType : null;
  }

  /** Rows depth-first: each created step right under its creator's line, after the creator's earlier children. */
  private tree(): Array<{ row: StepRow; depth: number }> {
    const children = new Map<string, StepRow[]>();
    const roots: StepRow[] = [];
    for (const row of this.rows) {
      if (row.createdBy !== null && this.byName.has(row.createdBy) && row.createdBy !== row.name) {
        const list = children.get(row.createdBy) ?? [];
        list.push(row);
        children.set(row.createdBy, list);
      } else {
        roots.push(row);
      }
    }
    const out: Array<{ row: StepRow; depth: number }> = [];
    const seen = new Set<string>();
    const visit = (row: StepRow, depth: number): void => {
      if (seen.has(row.name)) return;
      seen.add(row.name);
      out.push({ row, depth });
      for (const child of children.get(row.name) ?? []) visit(child, depth + 1);
    };
    for (const root of roots) visit(root, 0);
    return out;
  }

  /** The full view as lines; `now` times running steps. */
  render(now: Date): string[] {
    const t = this.summary.task;
    const finished = FINISHED.includes(this.taskState as StepState);
    const elapsed = (finished ? this.lastAt : now).getTime() - this.startedAt.getTime();
    const tree = this.tree();
    const width = Math.max(4, ...tree.map(({ row, depth }) => 2 * depth + row.name.length));
    const stateWidth = Math.max(5, ...this.rows.map((r) => r.state.length));
    const lines = [
      `task ${t.taskUuid}  ${t.namespace}/${t.name}@${t.version}  ${this.taskState}  ${seconds(Math.max(0, elapsed))}`,
    ];
    for (const { row: r, depth } of tree) {
      const indent = '  '.repeat(depth);
      const timing = r.startedAt === null ? '' : seconds((r.finishedAt ?? now).getTime() - r.startedAt.getTime());
      const after = r.dependencies.length === 0 ? '' : `  ← ${r.dependencies.join(', ')}`;
      const outcome = r.emptyOutcome === null ? '' : `  (${r.emptyOutcome})`;
      lines.push(
        `  ${indent}${MARK[r.state]} ${r.name.padEnd(width - indent.length)}  ${r.state.padEnd(stateWidth)}  attempt ${r.attempts}/${r.maxAttempts}  ${timing.padStart(7)}${after}${outcome}`.trimEnd(),
      );
    }
    return lines;
  }
}

/** One plain line per event (non-TTY output). */
export function eventLine(event: TaskStatusEvent): string {
  const at = event.occurredAt.toISOString();
  if (event.expansion !== null) {
    const x = event.expansion;
    const created =
      x.createdSteps.length === 0 ? `none (${x.outcomeType})` : x.createdSteps.map((c) => c.name).join(', ');
    const batches = x.batchIds.length === 0 ? '' : `  batches ${x.batchIds.join(', ')}`;
    return `${at}  #${event.eventId}  ${event.type}  ${x.triggerStepName}  → ${created}${batches}`;
  }
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
