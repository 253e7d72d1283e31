// Two runs of one scenario create different objects: ids, timestamps, event cursors and lease tokens
// differ, and the run token appears in names. The normaliser replaces those by stable placeholders (uuids
// and event ids by first-seen ordinal, so references between fields stay comparable) and keeps every other
// value, which must then be equal on both transports.
import { isUuid } from '@tasker/shared';

const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;

/**
 * Keys whose values are unique per run by nature (not by contract). A DLQ entry's task snapshot is the stored
 * row, so its snake_case keys appear too: the identity hash covers the run's context, the event cursor is global.
 */
const OPAQUE_KEYS = new Set(['leaseToken', 'durationMs', 'contentHash', 'identity_hash']);
const ORDINAL_KEYS = new Set(['eventId', 'last_event_id']);

export function normaliseRun(value: unknown, token: string): unknown {
  const uuids = new Map<string, string>();
  const ordinals = new Map<number, string>();
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (key !== undefined && OPAQUE_KEYS.has(key) && v !== null && v !== undefined) return `<${key}>`;
    if (key !== undefined && ORDINAL_KEYS.has(key) && typeof v === 'number') {
      if (!ordinals.has(v)) ordinals.set(v, `<${key}:${ordinals.size}>`);
      return ordinals.get(v);
    }
    if (v instanceof Date) return '<date>';
    if (typeof v === 'string') {
      if (isUuid(v)) {
        if (!uuids.has(v.toLowerCase())) uuids.set(v.toLowerCase(), `<uuid:${uuids.size}>`);
        return uuids.get(v.toLowerCase());
      }
      // Timestamps also hide inside messages ("last run 2024-…"); the run token inside names and contexts.
      const dated = v.replace(ISO_TIMESTAMP, '<date>');
      return token === '' ? dated : dated.split(token).join('<token>');
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, undefined));
    if (v !== null && typeof v === 'object') {
      // Sorted keys: ordinals must not depend on the order a converter happened to build an object in.
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, item]) => item !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, item]) => [k, walk(item, k)]),
      );
    }
    return v;
  };
  return walk(value, undefined);
}
