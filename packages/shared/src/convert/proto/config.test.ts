import { describe, expect, it } from 'vitest';
import { GetConfigResponse } from '../../gen/tasker/v1/config.js';
import { wire } from '../../testing/proto-builders.js';
import { safeConfigFromProto, safeConfigToProto } from './config.js';

describe('safe config', () => {
  const safe = {
    metadata: { timestamp: '2024-01-15T10:00:00.123Z', environment: 'test', version: '0.1.0' },
    auth: { enabled: false, allowed_algorithms: ['HS256'] },
    grpc: { port: 9190, reflection: true },
  };

  it('splits metadata into ConfigMetadata and round-trips the whole view', () => {
    const pb = wire(GetConfigResponse, safeConfigToProto(safe));
    expect(pb.metadata).toEqual({
      timestamp: new Date(safe.metadata.timestamp),
      environment: 'test',
      version: '0.1.0',
    });
    expect(pb.config).not.toHaveProperty('metadata');
    expect(safeConfigFromProto(pb)).toEqual(safe);
  });

  it('refuses a view without metadata', () => {
    expect(() => safeConfigToProto({ auth: {} })).toThrow(/metadata/);
  });
});
