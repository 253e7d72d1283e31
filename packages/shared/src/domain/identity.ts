// Task identity (docs/engine.md): strict = hash of the template and the canonical context; caller_provided =
// hash of the template and the caller's key (required); always_unique = random. A supplied idempotency key
// always wins over the template's strategy. Keys are scoped to the template (namespace, name, version).
import { createHash, randomUUID } from 'node:crypto';
import type { JsonValue } from './json.js';
import type { IdentityStrategy } from './template.js';

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface TemplateKey {
  namespace: string;
  name: string;
  version: string;
}

/**
 * The identity hash stored in tasks.identity_hash (unique). `undefined` when the strategy needs a key and
 * none was given (the caller answers VALIDATION_FAILED).
 */
export function computeIdentityHash(
  strategy: IdentityStrategy,
  template: TemplateKey,
  context: JsonValue,
  idempotencyKey: string | undefined,
): string | undefined {
  const scope = `${template.namespace}\u0000${template.name}\u0000${template.version}`;
  if (idempotencyKey !== undefined) return `key:${sha256Hex(`${scope}\u0000${idempotencyKey}`)}`;
  switch (strategy) {
    case 'strict':
      return `strict:${sha256Hex(`${scope}\u0000${canonicalJson(context)}`)}`;
    case 'caller_provided':
      return undefined;
    case 'always_unique':
      return `unique:${randomUUID()}`;
  }
}
