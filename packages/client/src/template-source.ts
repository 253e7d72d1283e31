// The raw template forms the template operations accept: YAML text, or the template as a JSON object.
import { isJsonObject, type JsonObject } from '@tasker/shared';

/** YAML text stays text; a plain object is sent as the template itself. Anything else is a caller error. */
export function templateSource(raw: unknown): string | JsonObject {
  if (typeof raw === 'string') return raw;
  if (isJsonObject(raw)) return raw;
  throw new TypeError('a template must be YAML text or a plain object');
}
