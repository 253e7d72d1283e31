// JSON Schema support for templates: `input_schema` (and `result_schema`) must compile when a template is
// validated, and task contexts are checked against the compiled `input_schema` at creation. Orchestration and
// workers share this module so a template valid on one side is valid on the other.
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldProblem } from '../errors.js';

// ajv and ajv-formats are CommonJS with `exports.default`; under NodeNext the default import is the module.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

function createAjv(): InstanceType<typeof Ajv> {
  // strict: false — templates come from users and routinely carry annotation keywords (`examples`, vendor
  // `x-` keys) that strict mode rejects; allErrors so a caller sees every bad field at once.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/** One shared instance: compiled schemas are cached by ajv per schema object. */
let shared: InstanceType<typeof Ajv> | undefined;
function sharedAjv(): InstanceType<typeof Ajv> {
  shared ??= createAjv();
  return shared;
}

export type CompiledSchema = ValidateFunction;

/**
 * Compiles a JSON Schema. Each call compiles afresh (ajv keys its cache on the schema object), so callers
 * keep the result per template.
 */
export function compileJsonSchema(
  schema: unknown,
): { ok: true; validate: CompiledSchema } | { ok: false; message: string } {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return { ok: false, message: 'must be a JSON Schema object' };
  }
  try {
    // A fresh instance per compile would leak nothing but cost ~1 ms; the shared one is fine because schemas
    // carrying the same `$id` twice are the only conflict, and those are rejected below with a clear message.
    return { ok: true, validate: sharedAjv().compile(schema) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/already exists/.test(message)) {
      // A re-registered template reusing its `$id`: compile it in isolation instead.
      try {
        return { ok: true, validate: createAjv().compile(schema) };
      } catch (inner) {
        return { ok: false, message: inner instanceof Error ? inner.message : String(inner) };
      }
    }
    return { ok: false, message };
  }
}

/** ajv's `/items/0/sku` instance path as `items[0].sku` under `root`. */
function toFieldPath(root: string, instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (extra !== undefined) parts.push(extra);
  let path = root;
  for (const part of parts) {
    path += /^\d+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  }
  return path;
}

function describe(error: ErrorObject): { extra?: string; message: string } {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { extra: params['missingProperty'], message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { extra: params['additionalProperty'], message: 'is not allowed' };
  }
  return { message: error.message ?? `fails ${error.keyword}` };
}

/** Runs a compiled schema; returns one problem per failing field, paths rooted at `root` (e.g. `context`). */
export function checkAgainstSchema(validate: CompiledSchema, value: unknown, root: string): FieldProblem[] {
  if (validate(value)) return [];
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const { extra, message } = describe(error);
    const path = toFieldPath(root, error.instancePath, extra);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}
