// The dynamic parts of a template's graph (docs/dynamic-workflows.md): which steps exist when a task starts,
// which steps each decision may create, and the registration rules for decision, deferred_convergence,
// batchable and batch_worker steps. Pure; shared by template validation and the task plan.
import type { StepType, TemplateStep } from './template.js';

/** A step as these rules see it. */
export interface DynamicNode {
  name: string;
  type: StepType;
  dependencies: readonly string[];
}

/** Steps that depend on each step (in input order). */
function childrenOf(nodes: readonly DynamicNode[]): Map<string, DynamicNode[]> {
  const children = new Map<string, DynamicNode[]>();
  for (const node of nodes) {
    for (const dep of node.dependencies) {
      const list = children.get(dep) ?? [];
      list.push(node);
      children.set(dep, list);
    }
  }
  return children;
}

/**
 * The steps a decision may create (its segment): every step reachable forward from its direct children,
 * stopping at the next decision (included: it is created with the branch and expands later) and leaving out
 * batch_worker steps (created by their batchable) and deferred_convergence steps (created when one of their
 * dependencies is). Input order.
 */
export function decisionSegment(nodes: readonly DynamicNode[], decision: string): string[] {
  const children = childrenOf(nodes);
  const seen = new Set<string>();
  const queue: string[] = [decision];
  while (queue.length > 0) {
    const from = queue.shift() as string;
    for (const child of children.get(from) ?? []) {
      if (child.type === 'batch_worker' || child.type === 'deferred_convergence' || seen.has(child.name)) continue;
      seen.add(child.name);
      if (child.type !== 'decision') queue.push(child.name);
    }
  }
  return nodes.filter((n) => seen.has(n.name)).map((n) => n.name);
}

/**
 * The steps a task starts with: the roots, then every step whose dependencies all exist and none of them is a
 * decision (a decision's children wait for its outcome), and every deferred_convergence step with at least one
 * existing dependency; never a batch_worker. Input order. For a template without dynamic steps: all of them.
 */
export function initialStepNames(nodes: readonly DynamicNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const created = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const node of nodes) {
      if (created.has(node.name) || node.type === 'batch_worker') continue;
      const ok =
        node.type === 'deferred_convergence'
          ? node.dependencies.some((d) => created.has(d))
          : node.dependencies.every((d) => created.has(d) && byName.get(d)?.type !== 'decision');
      if (ok) {
        created.add(node.name);
        changed = true;
      }
    }
  }
  return nodes.filter((n) => created.has(n.name)).map((n) => n.name);
}

/** Whether a template has any step created at run time. */
export function hasDynamicSteps(steps: readonly Pick<TemplateStep, 'type'>[]): boolean {
  return steps.some((s) => s.type !== 'standard');
}

/**
 * The batch_worker a batchable step's outcome names by default: its `handler.initialization.worker_template_name`,
 * else its only batch_worker child; null when neither decides.
 */
export function defaultWorkerTemplate(step: TemplateStep, nodes: readonly DynamicNode[]): string | null {
  const named = step.handler.initialization['worker_template_name'];
  if (typeof named === 'string') return named;
  const workers = nodes.filter((n) => n.type === 'batch_worker' && n.dependencies.includes(step.name));
  return workers.length === 1 ? (workers[0] as DynamicNode).name : null;
}

/**
 * Every problem of the dynamic steps, each with the path of its key (`indexOf` gives a step's position):
 * a decision or deferred_convergence without dependencies, a batch_worker whose one dependency is not a
 * batchable, a batchable without a worker (or naming one that is not its batch_worker), a step other than a
 * deferred_convergence depending on a batch_worker, and a step other than a deferred_convergence depending on
 * branches of two decisions (no single decision could create it).
 */
export function dynamicGraphProblems(
  steps: readonly TemplateStep[],
  indexOf: (name: string) => number,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const at = (step: TemplateStep, key: string): string => `steps[${indexOf(step.name)}].${key}`;
  const byName = new Map(steps.map((s) => [s.name, s]));
  const nodes: DynamicNode[] = steps.map((s) => ({ name: s.name, type: s.type, dependencies: s.dependencies }));
  const owners = new Map<string, string[]>();
  for (const step of steps) {
    if (step.type !== 'decision') continue;
    for (const member of decisionSegment(nodes, step.name))
      owners.set(member, [...(owners.get(member) ?? []), step.name]);
  }

  for (const step of steps) {
    const deps = step.dependencies.map((d) => byName.get(d)).filter((d): d is TemplateStep => d !== undefined);
    if ((step.type === 'decision' || step.type === 'deferred_convergence') && step.dependencies.length === 0) {
      problems.push({ path: at(step, 'dependencies'), message: `a ${step.type} step needs at least one dependency` });
    }
    if (step.type === 'batch_worker') {
      if (step.dependencies.length !== 1 || deps[0]?.type !== 'batchable') {
        problems.push({
          path: at(step, 'dependencies'),
          message: 'a batch_worker step depends on exactly one step, its batchable step',
        });
      }
    }
    if (step.type === 'batchable') {
      const workers = steps.filter((s) => s.type === 'batch_worker' && s.dependencies.includes(step.name));
      const named = step.handler.initialization['worker_template_name'];
      if (named !== undefined && (typeof named !== 'string' || !workers.some((w) => w.name === named))) {
        problems.push({
          path: at(step, 'handler.initialization.worker_template_name'),
          message: `must name a batch_worker step that depends on '${step.name}'`,
        });
      } else if (workers.length === 0) {
        problems.push({
          path: at(step, 'type'),
          message: `batchable step '${step.name}' has no batch_worker step depending on it`,
        });
      }
    }
    if (step.type !== 'deferred_convergence') {
      step.dependencies.forEach((dep, d) => {
        if (byName.get(dep)?.type === 'batch_worker' && step.type !== 'batch_worker') {
          problems.push({
            path: `${at(step, 'dependencies')}[${d}]`,
            message: `'${dep}' is a batch_worker template: only a deferred_convergence step may depend on it`,
          });
        }
      });
      const decisions = owners.get(step.name) ?? [];
      if (decisions.length > 1) {
        problems.push({
          path: at(step, 'dependencies'),
          message: `depends on branches of decisions ${decisions.map((d) => `'${d}'`).join(' and ')}: only a deferred_convergence step may`,
        });
      }
    }
  }
  return problems;
}
