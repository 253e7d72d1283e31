// Staleness rules a template decides (pure): what the detector does with a stale task of it, which lifecycle
// combinations contradict each other, and which step limits its registration warns about. The detector's SQL
// reads the same stored keys (migration 0020: tasker.staleness_fails_task / tasker.staleness_opens_entry); an
// integration test compares the two over every combination.
import type { TemplateDefinition, TemplateLifecycle, TemplateProblem } from './template.js';

/** What closing a stale task means for one template. */
export interface StalenessEffect {
  /** Move the task to error, stopping the work under it. */
  failTask: boolean;
  /** Open a DLQ entry `staleness_timeout`. */
  openEntry: boolean;
}

/**
 * The effect of a template's lifecycle keys. `staleness_action` decides when given: `dlq` = entry + error
 * (`auto_fail_on_timeout: false` keeps the task running, entry only), `error` = error without an entry, `none` =
 * nothing. Without it the two flags decide, each defaulting to true: both true = `dlq`, only
 * `auto_fail_on_timeout` = error without an entry, only `auto_dlq_on_timeout` = entry only, neither = none.
 * (Combinations that contradict the action are refused at validation; if one is stored anyway, the action wins.)
 */
export function stalenessEffectOf(lifecycle: TemplateLifecycle | null): StalenessEffect {
  const autoFail = lifecycle?.autoFailOnTimeout ?? null;
  const autoDlq = lifecycle?.autoDlqOnTimeout ?? null;
  switch (lifecycle?.stalenessAction ?? null) {
    case 'none':
      return { failTask: false, openEntry: false };
    case 'error':
      return { failTask: true, openEntry: false };
    case 'dlq':
      return { failTask: autoFail ?? true, openEntry: true };
    case null:
      return { failTask: autoFail ?? true, openEntry: autoDlq ?? true };
  }
}

/** Flag values that contradict an explicit `staleness_action`, each at the path of the flag. */
export function lifecycleContradictions(lifecycle: TemplateLifecycle): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const action = lifecycle.stalenessAction;
  const fail = 'lifecycle.auto_fail_on_timeout';
  const dlq = 'lifecycle.auto_dlq_on_timeout';
  if (action === 'dlq' && lifecycle.autoDlqOnTimeout === false) {
    problems.push({
      path: dlq,
      message:
        'false contradicts lifecycle.staleness_action: dlq, which opens a DLQ entry (for an error without an entry, use staleness_action: error)',
    });
  }
  if (action === 'error' && lifecycle.autoFailOnTimeout === false) {
    problems.push({
      path: fail,
      message:
        'false contradicts lifecycle.staleness_action: error, which fails the task (for an entry that leaves the task running, use staleness_action: dlq with auto_fail_on_timeout: false)',
    });
  }
  if (action === 'error' && lifecycle.autoDlqOnTimeout === true) {
    problems.push({
      path: dlq,
      message:
        'true contradicts lifecycle.staleness_action: error, which opens no DLQ entry (use staleness_action: dlq)',
    });
  }
  if (action === 'none') {
    if (lifecycle.autoFailOnTimeout === true) {
      problems.push({
        path: fail,
        message: 'true contradicts lifecycle.staleness_action: none, which never fails the task',
      });
    }
    if (lifecycle.autoDlqOnTimeout === true) {
      problems.push({
        path: dlq,
        message: 'true contradicts lifecycle.staleness_action: none, which opens no DLQ entry',
      });
    }
  }
  return problems;
}

/**
 * The staleness settings of the registering server that registration warnings are judged against. Not whether
 * this process runs the detector (`staleness.enabled`): any replica may, and templates outlive config.
 */
export interface StalenessSettings {
  /** staleness.thresholds.task_max_lifetime_hours: the lifetime of templates without max_duration_minutes. */
  taskMaxLifetimeHours: number;
}

function minutes(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * Step limits that the task's maximum lifetime cuts short. Staleness measures lack of progress, so a long run
 * that heartbeats or a long backoff never makes a task stale; the maximum lifetime (`max_duration_minutes`,
 * else the configured `task_max_lifetime_hours`) is an absolute cap, though, and closes a task even while it
 * progresses. A step whose `timeout_seconds` exceeds it, or whose retry cap (`max_backoff_ms`, which also caps
 * a worker's Retry-After) does while the step may retry, is warned about — unless the template's staleness
 * action never fails the task. `definition` is the one that runs: config defaults and environment applied.
 */
export function templateStalenessWarnings(
  definition: TemplateDefinition,
  settings: StalenessSettings,
): TemplateProblem[] {
  if (!stalenessEffectOf(definition.lifecycle).failTask) return [];
  const own = definition.lifecycle?.maxDurationMinutes ?? null;
  const lifetime = own ?? settings.taskMaxLifetimeHours * 60;
  const source =
    own !== null
      ? 'lifecycle.max_duration_minutes'
      : `staleness.thresholds.task_max_lifetime_hours = ${settings.taskMaxLifetimeHours}`;
  const warnings: TemplateProblem[] = [];
  definition.steps.forEach((step, i) => {
    if (step.timeoutSeconds !== null && step.timeoutSeconds > lifetime * 60) {
      warnings.push({
        path: `steps[${i}].timeout_seconds`,
        message: `${step.timeoutSeconds} s (${minutes(step.timeoutSeconds / 60)} min) is longer than the task's maximum lifetime of ${lifetime} min (${source}): the staleness detector closes the task, stopping this step, before a run this long times out`,
      });
    }
    const retries = step.retry.retryable && step.retry.maxAttempts > 1;
    if (retries && step.retry.maxBackoffMs > lifetime * 60_000) {
      warnings.push({
        path: `steps[${i}].retry.max_backoff_ms`,
        message: `${step.retry.maxBackoffMs} ms (${minutes(step.retry.maxBackoffMs / 60_000)} min) is longer than the task's maximum lifetime of ${lifetime} min (${source}): a retry delay this long (a worker's Retry-After included) outlives the task`,
      });
    }
  });
  return warnings;
}
