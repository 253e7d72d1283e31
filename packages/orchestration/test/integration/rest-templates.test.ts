// Template routes: register (YAML text and objects, force), list, get, validate.
import { describe, expect, it } from 'vitest';
import {
  RegisterTemplatesResponseSchema,
  TemplateListResponseSchema,
  TemplateResponseSchema,
  TemplateValidationResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { LINEAR_YAML, useRestHarness } from './rest-helpers.js';

const h = useRestHarness();

const objectTemplate = (description: string) => ({
  name: 'media_ingest',
  namespace_name: 'media',
  version: '2.1.0',
  description,
  steps: [
    { name: 'fetch_source', handler: { callable: 'Media.Fetch' }, dependencies: [] },
    { name: 'make_thumbs', handler: { callable: 'Media.Thumbs' }, dependencies: ['fetch_source'] },
    {
      name: 'transcribe',
      handler: { callable: 'Media.Transcribe' },
      dependencies: ['fetch_source'],
      retry: { max_attempts: 5 },
    },
    { name: 'publish_asset', handler: { callable: 'Media.Publish' }, dependencies: ['make_thumbs', 'transcribe'] },
  ],
});

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

describe('template registration', () => {
  it('registers YAML text and objects; re-registering is unchanged; a change needs force', async () => {
    const first = await h.api('POST', '/v1/templates', {
      json: { templates: [{ yaml: LINEAR_YAML }, objectTemplate('v1')] },
    });
    expect(first.status).toBe(200);
    expect(
      RegisterTemplatesResponseSchema.parse(first.body).registrations.map((r) => [r.namespace, r.name, r.outcome]),
    ).toEqual([
      ['billing', 'invoice_settlement', 'created'],
      ['media', 'media_ingest', 'created'],
    ]);
    const same = await h.api('POST', '/v1/templates', { json: { templates: [objectTemplate('v1')] } });
    expect(same.body.registrations[0].outcome).toBe('unchanged');
    const changed = await h.api('POST', '/v1/templates', { json: { templates: [objectTemplate('v2')] } });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('INVALID_STATE');
    const forced = await h.api('POST', '/v1/templates', { json: { templates: [objectTemplate('v2')], force: true } });
    expect(forced.status).toBe(200);
    expect(forced.body.registrations[0].outcome).toBe('updated');
  });

  it('answers 400 listing the problems of an invalid template', async () => {
    const broken = {
      ...objectTemplate('x'),
      steps: [{ name: 'a', handler: { callable: 'A' }, dependencies: ['missing'] }],
    };
    const res = await h.api('POST', '/v1/templates', { json: { templates: [broken] } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.body.error)).toContain('missing');
  });

  it.each([
    ['no templates', { templates: [] }, 'body.templates'],
    ['an unknown field', { templates: [{ yaml: 'x: 1' }], replace: true }, 'body.replace'],
    ['a non-boolean force', { templates: [{ yaml: 'x: 1' }], force: 'yes' }, 'body.force'],
  ])('answers 400 for %s, naming %s', async (_, json, path) => {
    const res = await h.api('POST', '/v1/templates', { json });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toContain(path);
  });
});

describe('template reads', () => {
  it('lists templates and namespaces, filtered by namespace', async () => {
    await h.api('POST', '/v1/templates', {
      json: { templates: [{ yaml: LINEAR_YAML }, objectTemplate('v2')], force: true },
    });
    const all = TemplateListResponseSchema.parse((await h.api('GET', '/v1/templates')).body);
    expect(all.templates.map((t) => `${t.namespace}/${t.name}`)).toEqual(
      expect.arrayContaining(['billing/invoice_settlement', 'media/media_ingest']),
    );
    expect(all.namespaces.map((n) => n.name)).toEqual(expect.arrayContaining(['billing', 'media']));
    const media = TemplateListResponseSchema.parse((await h.api('GET', '/v1/templates?namespace=media')).body);
    expect(media.templates.map((t) => t.name)).toEqual(['media_ingest']);
    expect(media.templates[0]?.step_count).toBe(4);
  });

  it('gets one version with its normalised steps', async () => {
    const res = await h.api('GET', '/v1/templates/billing/invoice_settlement/1.0.0');
    expect(res.status).toBe(200);
    const template = TemplateResponseSchema.parse(res.body);
    expect(template.steps.map((s) => s.name)).toEqual(['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']);
    expect(template.steps[1]?.handler.initialization).toEqual({ region: 'eu' });
    expect(template.steps[2]?.retry).toMatchObject({ retryable: false, max_attempts: 1 });
  });

  it('answers 404 for an unknown template version', async () => {
    const res = await h.api('GET', '/v1/templates/billing/invoice_settlement/9.9.9');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('rejects unknown list parameters', async () => {
    const res = await h.api('GET', '/v1/templates?name=x');
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toEqual(['query.name']);
  });
});

describe('POST /v1/templates/validate', () => {
  it('accepts a valid template as YAML text or as an object', async () => {
    for (const json of [{ yaml: LINEAR_YAML }, objectTemplate('x')]) {
      const res = await h.api('POST', '/v1/templates/validate', { json });
      expect(res.status).toBe(200);
      expect(TemplateValidationResponseSchema.parse(res.body)).toEqual({ valid: true, errors: [] });
    }
  });

  it('reports problems with their paths in a 200 body', async () => {
    const cyclic = {
      ...objectTemplate('x'),
      steps: [
        { name: 'a', handler: { callable: 'A' }, dependencies: ['b'] },
        { name: 'b', handler: { callable: 'B' }, dependencies: ['a'] },
      ],
    };
    const res = await h.api('POST', '/v1/templates/validate', { json: cyclic });
    expect(res.status).toBe(200);
    const validation = TemplateValidationResponseSchema.parse(res.body);
    expect(validation.valid).toBe(false);
    expect(validation.errors.length).toBeGreaterThan(0);
    const yaml = await h.api('POST', '/v1/templates/validate', { json: { yaml: 'name: [unclosed' } });
    expect(yaml.status).toBe(200);
    expect(yaml.body.valid).toBe(false);
  });

  it('answers 400 for a body that is not a template source', async () => {
    const res = await h.api('POST', '/v1/templates/validate', { json: [1, 2] });
    expect(res.status).toBe(400);
  });
});
