// The expense-routing example (templates/expense-routing.yaml): a check, a decision picking the approvals the
// amount needs, the approvals themselves, and a deferred_convergence step recording whichever ran.
import { PermanentError, decisionOutcome, type Handler, type StepContext } from '@tasker/worker';
import { isJsonObject, type JsonObject } from '@tasker/shared';

function numberOf(obj: JsonObject, key: string, where: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new PermanentError(`${where}.${key} must be a number`, { errorType: 'invalid_input' });
  return value;
}

function parent(ctx: StepContext, name: string): JsonObject {
  const result = ctx.parentResults[name];
  if (!isJsonObject(result))
    throw new PermanentError(`parent step '${name}' has no result object`, { errorType: 'missing_parent_result' });
  return result;
}

/** `expense.check`: the amount and submitter as the later steps read them. */
export const checkExpense: Handler = async (ctx) => {
  const amount = numberOf(ctx.context, 'amount', 'context');
  if (amount <= 0) throw new PermanentError('context.amount must be positive', { errorType: 'invalid_input' });
  return { amount, submitter: String(ctx.context['submitter'] ?? '') };
};

/**
 * `expense.route` — config `{low, high}`: below low the expense is approved instantly, below high the team
 * lead signs off, from high on the team lead and the controller both do (in parallel).
 */
export const routeExpense: Handler = async (ctx) => {
  const amount = numberOf(parent(ctx, 'check_expense'), 'amount', 'check_expense');
  const low = numberOf(ctx.config, 'low', 'config');
  const high = numberOf(ctx.config, 'high', 'config');
  if (amount < low) return decisionOutcome(['instant_ok'], { route: 'instant', amount });
  if (amount < high) return decisionOutcome(['lead_signoff'], { route: 'lead', amount });
  return decisionOutcome(['lead_signoff', 'controller_signoff'], { route: 'dual', amount });
};

/** `expense.approve` — config `{approver}`: one approval of the amount the decision passed on. */
export const approveExpense: Handler = async (ctx) => {
  const approver = ctx.config['approver'];
  if (typeof approver !== 'string')
    throw new PermanentError('config.approver must name the approver', { errorType: 'invalid_config' });
  return { approved: true, approver, amount: numberOf(parent(ctx, 'choose_path'), 'amount', 'choose_path') };
};

/** `expense.record`: who approved, from the approval steps that exist (its parents), in name order. */
export const recordOutcome: Handler = async (ctx) => {
  const approvals = Object.keys(ctx.parentResults)
    .sort()
    .map((name) => parent(ctx, name));
  if (approvals.length === 0)
    throw new PermanentError('no approval step ran before record_outcome', { errorType: 'missing_parent_result' });
  return {
    approved: approvals.every((a) => a['approved'] === true),
    approved_by: approvals.map((a) => String(a['approver'])),
    amount: numberOf(approvals[0] as JsonObject, 'amount', 'approval'),
  };
};
