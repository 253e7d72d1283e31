// StepService and TemplateService over a real server and runtime: success and failure codes of every RPC.
import {
  resolveStepRequestToProto,
  stepAuditFromProto,
  stepFromProto,
  templateFromProto,
} from '@tasker/shared/convert/proto/index';
import { StepState } from '@tasker/shared/gen/tasker/v1/common';
import { StepManualActionType } from '@tasker/shared/gen/tasker/v1/steps';
import { Status } from 'nice-grpc';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { readFixtureTemplate, registerFixtureTemplate, TEST_PRINCIPAL } from './helpers/runtime.js';

const h = useGrpcRuntime();
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';
let invoice = 0;

async function newTask(): Promise<{ taskUuid: string; steps: Record<string, string> }> {
  invoice += 1;
  const task = await h.services.tasks.create(TEST_PRINCIPAL, {
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: invoice },
    initiator: 't',
    sourceSystem: 't',
    reason: 't',
  });
  const steps = await h.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
  return { taskUuid: task.taskUuid, steps: Object.fromEntries(steps.map((s) => [s.name, s.stepUuid])) };
}

const fieldsOf = (err: { details: Record<string, unknown> | null }) =>
  ((err.details?.fields ?? []) as Array<{ path: string }>).map((f) => f.path).sort();

beforeAll(async () => {
  await registerFixtureTemplate(h.services, 'linear');
});

describe('StepService', () => {
  it('lists steps in creation order and pages them on request', async () => {
    const { taskUuid } = await newTask();
    const all = await h.clients.steps.listSteps({ taskUuid });
    expect(all.steps.map((s) => s.name)).toEqual(['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']);
    expect(all.pagination).toEqual({ total: 4, count: 4, offset: 0, hasMore: false });
    const page = await h.clients.steps.listSteps({ taskUuid, pagination: { limit: 2, offset: 1 } });
    expect(page.steps.map((s) => s.name)).toEqual(['compute_tax', 'charge_card']);
    expect(page.pagination).toEqual({ total: 4, count: 2, offset: 1, hasMore: true });
    expect((await grpcErrorOf(h.clients.steps.listSteps({ taskUuid: MISSING }))).status).toBe(Status.NOT_FOUND);
    expect((await grpcErrorOf(h.clients.steps.listSteps({ taskUuid: 'x' }))).status).toBe(Status.INVALID_ARGUMENT);
  });

  it('gets a step, and refuses one reached through another task', async () => {
    const a = await newTask();
    const b = await newTask();
    const step = stepFromProto(
      (await h.clients.steps.getStep({ taskUuid: a.taskUuid, stepUuid: a.steps.compute_tax! })).step!,
    );
    expect(step).toMatchObject({ name: 'compute_tax', state: 'pending', totalParents: 1, maxAttempts: 3 });
    expect(
      (await grpcErrorOf(h.clients.steps.getStep({ taskUuid: b.taskUuid, stepUuid: a.steps.compute_tax! }))).status,
    ).toBe(Status.NOT_FOUND);
    const bad = await grpcErrorOf(h.clients.steps.getStep({ taskUuid: 'x', stepUuid: 'y' }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['step_uuid', 'task_uuid']]);
  });

  it('applies each manual action with every field, and audits it', async () => {
    const { taskUuid, steps } = await newTask();
    const resolved = await h.clients.steps.resolveStep(
      resolveStepRequestToProto({
        taskUuid,
        stepUuid: steps.load_invoice!,
        action: { type: 'resolve_manually', reason: 'skip', performedBy: 'ops' },
      }),
    );
    expect(resolved.step?.state).toBe(StepState.STEP_STATE_RESOLVED_MANUALLY);
    const completed = await h.clients.steps.resolveStep(
      resolveStepRequestToProto({
        taskUuid,
        stepUuid: steps.compute_tax!,
        action: {
          type: 'complete_manually',
          reason: 'by hand',
          performedBy: 'ops',
          result: { tax: 3 },
          metadata: { ticket: 'T-9' },
        },
      }),
    );
    expect(completed.step?.state).toBe(StepState.STEP_STATE_COMPLETE);
    expect(completed.step?.results).toMatchObject({ tax: 3 });
    const audit = (await h.clients.steps.getStepAudit({ taskUuid, stepUuid: steps.compute_tax! })).auditRecords.map(
      (a) => stepAuditFromProto(a),
    );
    expect(audit[0]).toMatchObject({
      action: 'complete_manually',
      performedBy: 'ops',
      reason: 'by hand',
      toState: 'complete',
    });
    expect((await grpcErrorOf(h.clients.steps.getStepAudit({ taskUuid, stepUuid: MISSING }))).status).toBe(
      Status.NOT_FOUND,
    );
    expect((await grpcErrorOf(h.clients.steps.getStepAudit({ taskUuid, stepUuid: 'x' }))).status).toBe(
      Status.INVALID_ARGUMENT,
    );
  });

  it('refuses an invalid transition, an UNSPECIFIED action and missing fields', async () => {
    const { taskUuid, steps } = await newTask();
    const reset = await grpcErrorOf(
      h.clients.steps.resolveStep(
        resolveStepRequestToProto({
          taskUuid,
          stepUuid: steps.charge_card!,
          action: { type: 'reset_for_retry', reason: 'r', performedBy: 'ops' },
        }),
      ),
    );
    expect([reset.status, reset.code]).toEqual([Status.FAILED_PRECONDITION, 'INVALID_STATE']);
    const unspecified = await grpcErrorOf(
      h.clients.steps.resolveStep({
        taskUuid,
        stepUuid: steps.charge_card!,
        actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_UNSPECIFIED,
        performedBy: 'a',
        reason: 'r',
      }),
    );
    expect([unspecified.status, fieldsOf(unspecified)]).toEqual([Status.INVALID_ARGUMENT, ['action_type']]);
    const missing = await grpcErrorOf(
      h.clients.steps.resolveStep({
        taskUuid,
        stepUuid: steps.charge_card!,
        actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_COMPLETE_MANUALLY,
      }),
    );
    expect(fieldsOf(missing)).toEqual(['performed_by', 'reason', 'result']);
    const gone = await grpcErrorOf(
      h.clients.steps.resolveStep(
        resolveStepRequestToProto({
          taskUuid,
          stepUuid: MISSING,
          action: { type: 'resolve_manually', reason: 'r', performedBy: 'ops' },
        }),
      ),
    );
    expect(gone.status).toBe(Status.NOT_FOUND);
  });
});

describe('TemplateService', () => {
  it('lists, gets and validates templates', async () => {
    const list = await h.clients.templates.listTemplates({ namespace: 'billing' });
    expect(list.templates.map((t) => `${t.namespace}/${t.name}/${t.version}`)).toEqual([
      'billing/invoice_settlement/1.0.0',
    ]);
    expect(list.namespaces).toEqual([expect.objectContaining({ name: 'billing', templateCount: 1 })]);
    const template = templateFromProto(
      (await h.clients.templates.getTemplate({ namespace: 'billing', name: 'invoice_settlement', version: '1.0.0' }))
        .template,
    );
    expect(template.definition.steps.map((s) => [s.name, s.handler.callable, s.dependencies])).toEqual([
      ['load_invoice', 'Billing.LoadInvoice', []],
      ['compute_tax', 'Billing.ComputeTax', ['load_invoice']],
      ['charge_card', 'Billing.ChargeCard', ['compute_tax']],
      ['send_receipt', 'Billing.SendReceipt', ['charge_card']],
    ]);
    expect(
      await h.clients.templates.validateTemplate({ source: { $case: 'yaml', value: readFixtureTemplate('diamond') } }),
    ).toEqual({ valid: true, errors: [] });
    const cyclic = await h.clients.templates.validateTemplate({
      source: { $case: 'yaml', value: readFixtureTemplate('cyclic') },
    });
    expect(cyclic.valid).toBe(false);
    expect(cyclic.errors.length).toBeGreaterThan(0);
  });

  it('answers NOT_FOUND for an unknown template and INVALID_ARGUMENT for bad requests', async () => {
    expect(
      (
        await grpcErrorOf(
          h.clients.templates.getTemplate({ namespace: 'billing', name: 'invoice_settlement', version: '9' }),
        )
      ).status,
    ).toBe(Status.NOT_FOUND);
    const bad = await grpcErrorOf(h.clients.templates.getTemplate({ namespace: '', name: 'x', version: '' }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['namespace', 'version']]);
    expect((await grpcErrorOf(h.clients.templates.validateTemplate({}))).status).toBe(Status.INVALID_ARGUMENT);
    expect((await grpcErrorOf(h.clients.templates.listTemplates({ namespace: '' }))).status).toBe(
      Status.INVALID_ARGUMENT,
    );
  });
});
