import { describe, expect, it } from 'vitest';
import { canonicalJson, computeIdentityHash, sha256Hex } from './identity.js';

const template = { namespace: 'billing', name: 'invoice', version: '1.0.0' };

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('computeIdentityHash', () => {
  it('strict: equal for equal contexts in any key order, different for another template or context', () => {
    const hash = computeIdentityHash('strict', template, { x: 1, y: 2 }, undefined);
    expect(hash).toBe(`strict:${sha256Hex(`billing\u0000invoice\u00001.0.0\u0000{"x":1,"y":2}`)}`);
    expect(computeIdentityHash('strict', template, { y: 2, x: 1 }, undefined)).toBe(hash);
    expect(computeIdentityHash('strict', { ...template, version: '1.0.1' }, { x: 1, y: 2 }, undefined)).not.toBe(hash);
    expect(computeIdentityHash('strict', template, { x: 1 }, undefined)).not.toBe(hash);
  });

  it('a supplied key wins over every strategy and is scoped to the template', () => {
    const keyed = computeIdentityHash('always_unique', template, {}, 'k-1');
    expect(keyed).toMatch(/^key:[0-9a-f]{64}$/);
    expect(computeIdentityHash('strict', template, { other: true }, 'k-1')).toBe(keyed);
    expect(computeIdentityHash('caller_provided', template, {}, 'k-1')).toBe(keyed);
    expect(computeIdentityHash('strict', { ...template, name: 'refund' }, {}, 'k-1')).not.toBe(keyed);
  });

  it('caller_provided without a key has no hash; always_unique differs every time', () => {
    expect(computeIdentityHash('caller_provided', template, {}, undefined)).toBeUndefined();
    const a = computeIdentityHash('always_unique', template, {}, undefined);
    expect(a).toMatch(/^unique:/);
    expect(computeIdentityHash('always_unique', template, {}, undefined)).not.toBe(a);
  });
});
