// Safe configuration (ConfigService): the allow-listed JSON view ↔ GetConfigResponse.
import type { JsonObject } from '../../domain/json.js';
import { validationError } from '../../errors.js';
import type { GetConfigResponse as PbGetConfigResponse } from '../../gen/tasker/v1/config.js';
import { requiredDateFromProto } from './common.js';

interface SafeConfigMetadata {
  timestamp: string;
  environment: string;
  version: string;
}

function isMetadata(value: unknown): value is SafeConfigMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.timestamp === 'string' && typeof m.environment === 'string' && typeof m.version === 'string';
}

/** The safe view's `metadata` becomes the typed ConfigMetadata; the rest is the `config` Struct (REST body minus metadata). */
export function safeConfigToProto(safe: JsonObject): PbGetConfigResponse {
  const { metadata, ...config } = safe;
  if (!isMetadata(metadata)) throw new Error('safe config without metadata{timestamp, environment, version}');
  return {
    metadata: { timestamp: new Date(metadata.timestamp), environment: metadata.environment, version: metadata.version },
    config,
  };
}

/** Back to the REST-shaped safe view (metadata included), so both transports compare as one object. */
export function safeConfigFromProto(r: PbGetConfigResponse): JsonObject {
  if (r.metadata === undefined) throw validationError([{ path: 'metadata', message: 'is required' }]);
  return {
    metadata: {
      timestamp: requiredDateFromProto(r.metadata.timestamp, 'metadata.timestamp').toISOString(),
      environment: r.metadata.environment,
      version: r.metadata.version,
    },
    ...(r.config ?? {}),
  };
}
