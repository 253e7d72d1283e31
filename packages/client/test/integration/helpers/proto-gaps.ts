// The fields the tasker.v1 contract does not carry yet, per document (REST JSON paths, arrays as `[]`). The
// parity tests require exactly these differences between the transports and nothing else: a new difference
// fails, and so does a gap that gets closed (remove its entry then). See docs/client.md, "gRPC contract gaps".
const TASK = ['idempotency_key'];
const STEP = ['handler_callable'];
const TEMPLATE = [
  'content_hash',
  'created_at',
  'identity_strategy',
  'input_schema',
  'steps[].handler.initialization.region',
  'steps[].retry.backoff_base_ms',
  'steps[].retry.jitter',
  'steps[].retry.max_backoff_ms',
  'template_uuid',
  'updated_at',
];

const GAPS: Record<string, string[]> = {
  task: TASK,
  'task with steps': [...TASK, ...STEP.map((f) => `steps[].${f}`)],
  'task list': TASK.map((f) => `tasks[].${f}`),
  summary: [...TASK.map((f) => `task.${f}`), 'steps[].error.message'],
  steps: STEP.map((f) => `[].${f}`),
  step: STEP,
  template: TEMPLATE,
};

/** The REST paths gRPC cannot reproduce for the document `name`. */
export function knownProtoGaps(name: string): string[] {
  return [...(GAPS[name] ?? [])].sort();
}
