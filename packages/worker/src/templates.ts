// Templates a worker serves: read from a directory, validated with the shared parser, and checked against
// the handlers the worker actually has, so a template naming a missing handler is refused at start.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JsonObject, TemplateDefinition, TemplateProblem } from '@tasker/shared';
import { parseTemplate } from '@tasker/shared/domain/template-parse';
import { parseAllDocuments } from 'yaml';
import type { WorkerOptions } from './types.js';

/** One template as found: the raw document and where it came from. */
export interface TemplateSource {
  raw: unknown;
  /** File path (and document index for multi-document files), or `templates[i]`. */
  origin: string;
}

/** A validated template the worker can run. */
export interface LoadedTemplate {
  definition: TemplateDefinition;
  /** The document as registered with orchestration. */
  configuration: JsonObject;
  origin: string;
}

/** The worker-side validation answer (surfaces' validate endpoints). */
export interface WorkerTemplateValidation {
  valid: boolean;
  errors: TemplateProblem[];
  /** Handler callables the template names, in first-use order. */
  requiredCapabilities: string[];
  /** Step name → handler callable. */
  stepHandlers: Record<string, string>;
}

/** Thrown by {@link prepareTemplates}; the message lists every problem, one per line. */
export class TemplateLoadError extends Error {
  override readonly name = 'TemplateLoadError';
  constructor(readonly problems: readonly string[]) {
    super(
      `Templates refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** Every `*.yaml` / `*.yml` file of `dir` (not recursive), in name order; `---` separated documents each count. */
export async function readTemplatesDir(dir: string): Promise<TemplateSource[]> {
  const absolute = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(absolute)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    throw new TemplateLoadError([`cannot read templates directory ${absolute}: ${(err as Error).message}`]);
  }
  const sources: TemplateSource[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = join(absolute, name);
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const origin = list.length > 1 ? `${file}#${i + 1}` : file;
      if (doc.errors.length > 0) {
        problems.push(`${origin}: YAML: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
        return;
      }
      const raw: unknown = doc.toJS();
      if (raw !== null && raw !== undefined) sources.push({ raw, origin });
    });
  }
  if (problems.length > 0) throw new TemplateLoadError(problems);
  return sources;
}

function stepHandlersOf(definition: TemplateDefinition): { required: string[]; byStep: Record<string, string> } {
  const required: string[] = [];
  const byStep: Record<string, string> = {};
  for (const step of definition.steps) {
    byStep[step.name] = step.handler.callable;
    if (!required.includes(step.handler.callable)) required.push(step.handler.callable);
  }
  return { required, byStep };
}

function label(d: TemplateDefinition): string {
  return `${d.namespace}/${d.name}@${d.version}`;
}

/** Validates one definition and checks that `handlerNames` covers every callable it names. */
export function validateForWorker(raw: unknown, handlerNames: readonly string[]): WorkerTemplateValidation {
  const parsed = parseTemplate(raw);
  if (!parsed.ok) return { valid: false, errors: parsed.errors, requiredCapabilities: [], stepHandlers: {} };
  const { required, byStep } = stepHandlersOf(parsed.definition);
  const errors: TemplateProblem[] = [];
  parsed.definition.steps.forEach((step, i) => {
    if (!handlerNames.includes(step.handler.callable)) {
      errors.push({
        path: `steps[${i}].handler.callable`,
        message: `no handler '${step.handler.callable}' is registered in this worker`,
      });
    }
  });
  return { valid: errors.length === 0, errors, requiredCapabilities: required, stepHandlers: byStep };
}

/**
 * Parses every source and checks its handlers. Refuses (throws {@link TemplateLoadError}) when any template is
 * invalid, two sources define the same (namespace, name, version), or a callable has no handler — naming each
 * missing callable with the steps that use it.
 */
export function prepareTemplates(
  sources: readonly TemplateSource[],
  handlerNames: readonly string[],
): LoadedTemplate[] {
  const problems: string[] = [];
  const loaded: LoadedTemplate[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    const parsed = parseTemplate(source.raw);
    if (!parsed.ok) {
      for (const e of parsed.errors) problems.push(`${source.origin}: ${e.path || '(root)'}: ${e.message}`);
      continue;
    }
    const { definition, configuration } = parsed;
    const key = label(definition);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${source.origin}: ${key} is already defined by ${first}`);
      continue;
    }
    seen.set(key, source.origin);
    const missing = new Map<string, string[]>();
    for (const step of definition.steps) {
      if (handlerNames.includes(step.handler.callable)) continue;
      missing.set(step.handler.callable, [...(missing.get(step.handler.callable) ?? []), step.name]);
    }
    for (const [callable, steps] of missing) {
      problems.push(
        `${source.origin}: ${key} needs handler '${callable}' (steps: ${steps.join(', ')}), which is not registered`,
      );
    }
    if (missing.size === 0) loaded.push({ definition, configuration, origin: source.origin });
  }
  if (problems.length > 0) throw new TemplateLoadError(problems);
  return loaded;
}

/** Namespaces of the loaded templates, sorted, without duplicates. */
export function namespacesOf(templates: readonly LoadedTemplate[]): string[] {
  return [...new Set(templates.map((t) => t.definition.namespace))].sort();
}

/** What a worker serves: its loaded templates and the namespaces it claims from. */
export interface WorkerCatalog {
  readonly templates: readonly LoadedTemplate[];
  readonly namespaces: string[];
}

/** The worker's catalog from its options: the given templates, then a directory's; namespaces given or of those templates. */
export async function loadCatalog(
  options: Pick<WorkerOptions, 'templates' | 'templatesDir' | 'namespaces'>,
  handlerNames: readonly string[],
): Promise<WorkerCatalog> {
  const sources: TemplateSource[] = (options.templates ?? []).map((raw, i) => ({ raw, origin: `templates[${i}]` }));
  if (options.templatesDir !== undefined) sources.push(...(await readTemplatesDir(options.templatesDir)));
  const templates = prepareTemplates(sources, handlerNames);
  const namespaces =
    options.namespaces !== undefined ? [...new Set(options.namespaces)].sort() : namespacesOf(templates);
  if (namespaces.length === 0) throw new Error('the worker serves no namespace: load templates or pass `namespaces`');
  return { templates, namespaces };
}
