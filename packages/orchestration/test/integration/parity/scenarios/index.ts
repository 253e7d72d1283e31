// The one scenario list of the parity suite (and of docs/parity.md).
import type { Scenario } from '../types.js';
import { ADMISSION_SCENARIOS } from './admission.js';
import { AUTH_SCENARIOS } from './auth.js';
import { BAD_INPUT_SCENARIOS } from './bad-inputs.js';
import { CHECKPOINT_NOT_COMPARABLE, CHECKPOINT_SCENARIOS } from './checkpoints.js';
import { COMPATIBILITY_NOT_COMPARABLE, COMPATIBILITY_SCENARIOS } from './compatibility.js';
import { DELAYED_START_SCENARIOS } from './delayed-start.js';
import { DYNAMIC_SCENARIOS } from './dynamic.js';
import { EVENT_SCENARIOS } from './events.js';
import { OPERATOR_SCENARIOS } from './operators.js';
import { RESULT_SCHEMA_SCENARIOS } from './result-schema.js';
import { SCHEDULE_SCENARIOS } from './schedules.js';
import { STEP_SCENARIOS } from './steps.js';
import { SYSTEM_SCENARIOS } from './system.js';
import { TASK_SCENARIOS } from './tasks.js';
import { TEMPLATE_SCENARIOS } from './templates.js';
import { WORKER_SCENARIOS } from './workers.js';

export const SCENARIOS: readonly Scenario[] = [
  ...SYSTEM_SCENARIOS,
  ...TASK_SCENARIOS,
  ...OPERATOR_SCENARIOS,
  ...COMPATIBILITY_SCENARIOS,
  ...STEP_SCENARIOS,
  ...TEMPLATE_SCENARIOS,
  ...WORKER_SCENARIOS,
  ...CHECKPOINT_SCENARIOS,
  ...RESULT_SCHEMA_SCENARIOS,
  ...EVENT_SCENARIOS,
  ...DYNAMIC_SCENARIOS,
  ...BAD_INPUT_SCENARIOS,
  ...AUTH_SCENARIOS,
  ...ADMISSION_SCENARIOS,
  ...DELAYED_START_SCENARIOS,
  ...SCHEDULE_SCENARIOS,
];

/** Request properties only one transport can express, with the reason; listed in docs/parity.md. */
export const NOT_COMPARABLE: ReadonlyArray<{ what: string; why: string }> = [
  {
    what: 'Unknown request fields',
    why: 'REST rejects them (strict schemas); protobuf decoders skip unknown fields by design, so gRPC cannot see them. Unknown and UNSPECIFIED enum values are compared instead.',
  },
  {
    what: 'Step list paging (ListSteps `pagination`)',
    why: 'REST returns every step of a task; the gRPC window is tested in the gRPC suite.',
  },
  ...COMPATIBILITY_NOT_COMPARABLE,
  ...CHECKPOINT_NOT_COMPARABLE,
];
