import { describe, expect, it } from 'vitest';
import { credentialHeaders, parseEndpoint, resolveOptions } from './options.js';

describe('client options', () => {
  it('parses host:port, default ports, schemes and IPv6', () => {
    expect(parseEndpoint('localhost', 'rest', false)).toMatchObject({
      host: 'localhost',
      port: 8080,
      origin: 'http://localhost:8080',
    });
    expect(parseEndpoint('localhost', 'grpc', false)).toMatchObject({ port: 9190, authority: 'localhost:9190' });
    expect(parseEndpoint('https://api.example.com/', 'rest', false)).toMatchObject({
      secure: true,
      port: 8080,
      origin: 'https://api.example.com:8080',
    });
    expect(parseEndpoint('[::1]:9000', 'grpc', true)).toMatchObject({
      host: '::1',
      port: 9000,
      secure: true,
      authority: '[::1]:9000',
    });
    expect(() => parseEndpoint('a b', 'rest', false)).toThrow(TypeError);
    expect(() => parseEndpoint('h:70000', 'rest', false)).toThrow(TypeError);
  });

  it('applies defaults and validates', () => {
    const o = resolveOptions({ transport: 'grpc', address: ['a:1', 'b:2'], apiKey: 'k', retry: { maxAttempts: 2 } });
    expect(o.endpoints.map((e) => e.authority)).toEqual(['a:1', 'b:2']);
    expect(o.retry).toEqual({ maxAttempts: 2, baseMs: 100, maxMs: 5000 });
    expect(o.timeoutMs).toBe(30_000);
    expect(o.tls).toBeNull();
    expect(() => resolveOptions({ transport: 'soap' as 'rest', address: 'a' })).toThrow(TypeError);
    expect(() => resolveOptions({ transport: 'rest', address: [] })).toThrow(TypeError);
    expect(() => resolveOptions({ transport: 'rest', address: 'a', retry: { maxAttempts: 0 } })).toThrow(TypeError);
  });

  it('sends the token as a bearer and the API key under its header', () => {
    expect(
      credentialHeaders(
        resolveOptions({ transport: 'rest', address: 'a', token: 't', apiKey: 'k', apiKeyHeader: 'X-Key' }),
      ),
    ).toEqual({
      authorization: 'Bearer t',
      'x-key': 'k',
    });
  });
});
