import { describe, expect, it } from 'vitest';
import type { SortDirection } from '../../domain/task.js';
import { AppError } from '../../errors.js';
import { SortDirection as PbSortDirection, TaskState as PbTaskState } from '../../gen/tasker/v1/common.js';
import { appErrorOf } from '../../testing/proto-builders.js';
import { protoEnum } from './proto-enum.js';

const { SORT_DIRECTION_ASC: ASC, SORT_DIRECTION_DESC: DESC, SORT_DIRECTION_UNSPECIFIED: UNSPECIFIED } = PbSortDirection;

const direction = protoEnum('SortDirection', PbSortDirection, {
  asc: ASC,
  desc: DESC,
} as const satisfies Record<SortDirection, PbSortDirection>);

describe('protoEnum', () => {
  it('derives both directions from the one table', () => {
    expect(direction.toProto).toEqual({ asc: ASC, desc: DESC });
    expect(direction.fromProto).toEqual({ [ASC]: 'asc', [DESC]: 'desc' });
    expect([direction.encode('asc'), direction.encode('desc')]).toEqual([ASC, DESC]);
    expect([direction.decode(ASC, 'f'), direction.decode(DESC, 'f')]).toEqual(['asc', 'desc']);
    expect(Object.isFrozen(direction.toProto) && Object.isFrozen(direction.fromProto)).toBe(true);
  });

  it('refuses UNSPECIFIED, UNRECOGNIZED and unknown values as VALIDATION_FAILED naming the field', () => {
    for (const bad of [UNSPECIFIED, PbSortDirection.UNRECOGNIZED, 'SORT_DIRECTION_SIDEWAYS']) {
      const err = appErrorOf(() => direction.decode(bad as PbSortDirection, 'sort.direction'));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.details).toEqual({
        fields: [{ path: 'sort.direction', message: `must be a SortDirection other than UNSPECIFIED (got ${bad})` }],
      });
    }
  });

  it('does not decode inherited object keys', () => {
    expect(() => direction.decode('toString' as PbSortDirection, 'f')).toThrow(AppError);
  });

  it('decodes an alias one way: its domain value still encodes to the table entry', () => {
    const oneWay = protoEnum('SortDirection', PbSortDirection, { asc: ASC } as const, { [DESC]: 'asc' });
    expect(oneWay.decode(DESC, 'f')).toBe('asc');
    expect(oneWay.encode('asc')).toBe(ASC);
    expect(oneWay.fromProto).toEqual({ [ASC]: 'asc', [DESC]: 'asc' });
  });

  it('fails to compile, and throws, when a specified proto value is reached by nothing', () => {
    // @ts-expect-error SORT_DIRECTION_DESC is unreached
    expect(() => protoEnum('SortDirection', PbSortDirection, { asc: ASC } as const)).toThrow(
      'SortDirection: no domain value for SORT_DIRECTION_DESC',
    );
  });

  it('fails to compile when the table misses a domain value or names a value of another enum', () => {
    // @ts-expect-error `desc` is missing
    const partial = { asc: ASC } as const satisfies Record<SortDirection, PbSortDirection>;
    expect(partial).toEqual({ asc: ASC });
    const wrongEnum = () =>
      // @ts-expect-error a TaskState is not a SortDirection
      protoEnum('SortDirection', PbSortDirection, { asc: PbTaskState.TASK_STATE_PENDING, desc: DESC });
    expect(wrongEnum).toThrow('no domain value for SORT_DIRECTION_ASC');
  });

  it('throws when two domain values share a proto value', () => {
    expect(() => protoEnum('SortDirection', PbSortDirection, { asc: ASC, up: ASC, desc: DESC } as const)).toThrow(
      'SortDirection: asc and up both map to SORT_DIRECTION_ASC',
    );
  });
});
