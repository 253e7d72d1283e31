import { makeTemplate } from '@tasker/shared/testing/builders';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '@tasker/shared/domain/identity';
import { templateContentHash } from './templates.js';

describe('templateContentHash', () => {
  const { definition } = makeTemplate();
  const unused = {
    ...definition,
    lifecycle: { ...definition.lifecycle!, stalenessAction: null, autoFailOnTimeout: null, autoDlqOnTimeout: null },
  };

  it('is the hash of the definition as registered before the lifecycle action keys existed, when they are unused', () => {
    const { stalenessAction: _a, autoFailOnTimeout: _f, autoDlqOnTimeout: _d, ...before } = unused.lifecycle;
    expect(templateContentHash(unused)).toBe(sha256Hex(canonicalJson({ ...unused, lifecycle: before } as never)));
    expect(templateContentHash({ ...definition, lifecycle: null })).toBe(
      sha256Hex(canonicalJson({ ...definition, lifecycle: null } as never)),
    );
  });

  it('changes when a template uses one of them', () => {
    const hashes = new Set([
      templateContentHash(unused),
      templateContentHash({ ...unused, lifecycle: { ...unused.lifecycle, stalenessAction: 'dlq' } }),
      templateContentHash({ ...unused, lifecycle: { ...unused.lifecycle, autoFailOnTimeout: true } }),
      templateContentHash({ ...unused, lifecycle: { ...unused.lifecycle, autoDlqOnTimeout: true } }),
    ]);
    expect(hashes.size).toBe(4);
  });
});
