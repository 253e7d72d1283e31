import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TemplateLoadError, namespacesOf, prepareTemplates, readTemplatesDir, validateForWorker } from './templates.js';

const chain = {
  name: 'chain',
  namespace_name: 'demo',
  version: '1.0.0',
  steps: [
    { name: 'first', handler: { callable: 'demo.first' } },
    { name: 'second', handler: { callable: 'demo.second' }, dependencies: ['first'] },
    { name: 'third', handler: { callable: 'demo.second' }, dependencies: ['second'] },
  ],
};

describe('prepareTemplates', () => {
  it('accepts templates whose every callable has a handler', () => {
    const loaded = prepareTemplates([{ raw: chain, origin: 'chain.yaml' }], ['demo.first', 'demo.second']);
    expect(loaded.map((t) => t.definition.name)).toEqual(['chain']);
    expect(namespacesOf(loaded)).toEqual(['demo']);
  });

  it('refuses a template with missing handlers, naming each missing callable and its steps', () => {
    let error: unknown;
    try {
      prepareTemplates([{ raw: chain, origin: 'chain.yaml' }], ['demo.other']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TemplateLoadError);
    const problems = (error as TemplateLoadError).problems;
    expect(problems).toEqual([
      "chain.yaml: demo/chain@1.0.0 needs handler 'demo.first' (steps: first), which is not registered",
      "chain.yaml: demo/chain@1.0.0 needs handler 'demo.second' (steps: second, third), which is not registered",
    ]);
    expect((error as Error).message).toContain('2 problems');
  });

  it('reports invalid templates and duplicates with their origin', () => {
    const bad = { ...chain, namespace_name: 'this namespace is far too long to be valid' };
    expect(() =>
      prepareTemplates(
        [
          { raw: chain, origin: 'a' },
          { raw: chain, origin: 'b' },
          { raw: bad, origin: 'c' },
        ],
        ['demo.first', 'demo.second'],
      ),
    ).toThrow(/b: demo\/chain@1\.0\.0 is already defined by a[\s\S]*c: namespace_name/);
  });
});

describe('validateForWorker', () => {
  it('lists required capabilities and flags callables this worker lacks', () => {
    const v = validateForWorker(chain, ['demo.first']);
    expect(v.valid).toBe(false);
    expect(v.requiredCapabilities).toEqual(['demo.first', 'demo.second']);
    expect(v.stepHandlers).toEqual({ first: 'demo.first', second: 'demo.second', third: 'demo.second' });
    expect(v.errors.map((e) => e.path)).toEqual(['steps[1].handler.callable', 'steps[2].handler.callable']);
  });

  it('passes the shared parser errors through', () => {
    const v = validateForWorker({ name: 'x' }, []);
    expect(v.valid).toBe(false);
    expect(v.errors.some((e) => e.path === 'steps')).toBe(true);
  });
});

describe('readTemplatesDir', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads every yaml document in name order and ignores other files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-templates-'));
    await writeFile(join(dir, 'b.yaml'), 'name: b\nnamespace_name: demo\nversion: 1.0.0\nsteps: []\n');
    await writeFile(join(dir, 'a.yml'), 'name: a1\n---\nname: a2\n');
    await writeFile(join(dir, 'notes.txt'), 'not a template');
    const sources = await readTemplatesDir(dir);
    expect(sources.map((s) => (s.raw as { name: string }).name)).toEqual(['a1', 'a2', 'b']);
    expect(sources[0]?.origin).toMatch(/a\.yml#1$/);
  });

  it('fails with the file named when a document is not valid YAML', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'worker-templates-'));
    await writeFile(join(dir, 'c.yaml'), 'name: [unclosed\n');
    await expect(readTemplatesDir(dir)).rejects.toThrow(/c\.yaml: YAML/);
  });
});
