// The committed docs/openapi.json is fresh, is a valid OpenAPI 3.1 document (checked with ajv against the
// OpenAPI Initiative's 3.1 schema, vendored in test/fixtures), documents every route of the app, has every
// `$ref` resolvable, and every component is a valid JSON Schema 2020-12 schema.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from './app.js';
import { createDocumentationServices, generateOpenApiDocument, serializeOpenApiDocument } from './openapi-document.js';
import { REST_ROUTE_PERMISSIONS } from './permissions.js';
import { makeTestConfig } from './testing/test-config.js';

const COMMITTED = new URL('../../../../docs/openapi.json', import.meta.url);
const OAS_31_SCHEMA = new URL('../../test/fixtures/openapi-3.1-schema.json', import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
let document: Record<string, Json>;

beforeAll(async () => {
  document = (await generateOpenApiDocument()) as Record<string, Json>;
});

function resolvePointer(root: Json, pointer: string): Json | undefined {
  let node: Json | undefined = root;
  for (const raw of pointer.replace(/^#\//, '').split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function collectRefs(node: Json, refs: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => collectRefs(child, refs));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      else collectRefs(value, refs);
    }
  }
  return refs;
}

describe('OpenAPI document', () => {
  it('matches the committed docs/openapi.json (run `npm run openapi` after changing routes or schemas)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    expect(committed).toBe(serializeOpenApiDocument(document));
  });

  it('validates against the OpenAPI 3.1 schema', () => {
    // Ajv resolves the schema's `$dynamicRef: "#meta"` wrongly (even a trivial document fails), so it is
    // replaced by the plain reference it means when the base dialect is not extended.
    const oasSchema = readFileSync(OAS_31_SCHEMA, 'utf8')
      .replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')
      .replace('"$dynamicAnchor": "meta",', '');
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(oasSchema) as object);
    expect(
      validate({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: { '/a': { get: { responses: {} } } },
        bogus: 1,
      }),
    ).toBe(false);
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('documents every route the app serves, with its permission', async () => {
    const routes: Array<{ method: string; url: string }> = [];
    const app = await buildRestApp(createDocumentationServices(), makeTestConfig(), {
      onRoute: (route) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      },
    });
    await app.ready();
    await app.close();
    const paths = document.paths as Record<string, Record<string, Record<string, Json>>>;
    const apiRoutes = routes.filter((r) => !r.url.startsWith('/api-docs'));
    expect(apiRoutes.length).toBeGreaterThan(30);
    for (const { method, url } of apiRoutes) {
      const path = url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const operation = paths[path]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      const permission = REST_ROUTE_PERMISSIONS[`${method} ${url}` as keyof typeof REST_ROUTE_PERMISSIONS];
      if (permission === 'public') expect(operation?.['security']).toBeUndefined();
      else expect(operation?.['x-permission']).toBe(permission);
    }
    const documented = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented).toHaveLength(apiRoutes.length);
  });

  it('resolves every $ref', () => {
    const refs = collectRefs(document);
    expect(refs.length).toBeGreaterThan(50);
    const broken = [...new Set(refs)].filter(
      (ref) => !ref.startsWith('#/') || resolvePointer(document, ref) === undefined,
    );
    expect(broken).toEqual([]);
  });

  it('has components that are valid JSON Schema 2020-12', () => {
    const schemas = (document.components as Record<string, Record<string, Json>>).schemas ?? {};
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Task', 'Step', 'ErrorBody', 'CreateTaskRequestInput', 'TaskEvent']),
    );
    const bundle = JSON.parse(
      JSON.stringify({ $defs: schemas }).replaceAll('#/components/schemas/', 'components.json#/$defs/'),
    );
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    ajv.addSchema(bundle, 'components.json');
    for (const name of Object.keys(schemas)) {
      expect(() => ajv.compile({ $ref: `components.json#/$defs/${name}` }), name).not.toThrow();
    }
  });
});
