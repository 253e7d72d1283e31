import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorSet } from '@bufbuild/protobuf/wkt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const genRel = join('packages', 'shared', 'src', 'gen');
const committedGen = join(repoRoot, genRel);
const bufBin = join(repoRoot, 'node_modules', '.bin', 'buf');

const expectedServices = [
  'grpc.health.v1.Health',
  'tasker.v1.AnalyticsService',
  'tasker.v1.AuthService',
  'tasker.v1.ConfigService',
  'tasker.v1.DlqService',
  'tasker.v1.HealthService',
  'tasker.v1.ScheduleService',
  'tasker.v1.StepService',
  'tasker.v1.TaskService',
  'tasker.v1.TemplateService',
  'tasker.v1.WorkerConfigService',
  'tasker.v1.WorkerHealthService',
  'tasker.v1.WorkerMetricsService',
  'tasker.v1.WorkerService',
  'tasker.v1.WorkerTemplateService',
];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function readDescriptorSet(): FileDescriptorSet {
  return fromBinary(FileDescriptorSetSchema, readFileSync(join(committedGen, 'descriptor_set.bin')));
}

function runBuf(args: string[]): { ok: boolean; output: string } {
  try {
    execFileSync(bufBin, args, { cwd: repoRoot, stdio: 'pipe' });
    return { ok: true, output: '' };
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}` };
  }
}

describe('generated code is up to date', () => {
  let freshRoot: string;

  beforeAll(() => {
    freshRoot = mkdtempSync(join(tmpdir(), 'tasker-gen-'));
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'gen.mjs'), '--out-root', freshRoot], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
  }, 120_000);

  afterAll(() => {
    rmSync(freshRoot, { recursive: true, force: true });
  });

  it('matches a fresh `npm run gen` byte for byte', () => {
    const freshGen = join(freshRoot, genRel);
    const fresh = listFiles(freshGen);
    const committed = listFiles(committedGen);
    const missing = fresh.filter((file) => !committed.includes(file));
    const unexpected = committed.filter((file) => !fresh.includes(file));
    const changed = fresh.filter(
      (file) =>
        committed.includes(file) && !readFileSync(join(freshGen, file)).equals(readFileSync(join(committedGen, file))),
    );
    const problems = [
      ...changed.map((file) => `stale: ${genRel}/${file}`),
      ...missing.map((file) => `missing: ${genRel}/${file}`),
      ...unexpected.map((file) => `not generated (remove it): ${genRel}/${file}`),
    ];
    expect(problems, 'run `npm run gen` and commit the result').toEqual([]);
    expect(fresh.length).toBeGreaterThan(0);
  });
});

describe('reflection descriptor set', () => {
  it('declares every service the servers expose', () => {
    const services = readDescriptorSet().file.flatMap((file) =>
      file.service.map((service) => `${file.package}.${service.name}`),
    );
    expect(services.sort()).toEqual(expectedServices);
  });

  it('holds every proto file with its imports, so reflection clients can resolve each type', () => {
    const set = readDescriptorSet();
    const names = set.file.map((file) => file.name);
    const taskerProtos = readdirSync(join(repoRoot, 'proto', 'tasker', 'v1'))
      .filter((name) => name.endsWith('.proto'))
      .map((name) => `tasker/v1/${name}`);
    expect(names).toEqual(expect.arrayContaining([...taskerProtos, 'grpc/health/v1/health.proto']));
    expect(names).toEqual(expect.arrayContaining(['google/protobuf/struct.proto', 'google/protobuf/timestamp.proto']));
    // Throws when a dependency of some file is absent from the set.
    const registry = createFileRegistry(set);
    expect(registry.getService('tasker.v1.WorkerService')?.methods.map((method) => method.name)).toContain(
      'ClaimSteps',
    );
  });

  it('agrees with the generated nice-grpc definitions', async () => {
    const registry = createFileRegistry(readDescriptorSet());
    const modules = listFiles(committedGen).filter((file) => file.endsWith('.ts'));
    const definitions: { fullName: string; methods: Record<string, { name: string }> }[] = [];
    for (const file of modules) {
      const module = (await import(join(committedGen, file))) as Record<string, unknown>;
      for (const [exportName, value] of Object.entries(module)) {
        if (exportName.endsWith('Definition') && typeof value === 'object' && value !== null && 'fullName' in value) {
          definitions.push(value as (typeof definitions)[number]);
        }
      }
    }
    expect(definitions.map((definition) => definition.fullName).sort()).toEqual(expectedServices);
    for (const definition of definitions) {
      const methods = Object.values(definition.methods).map((method) => method.name);
      expect(methods, definition.fullName).toEqual(
        registry.getService(definition.fullName)?.methods.map((m) => m.name),
      );
    }
  });
});

describe('buf checks', () => {
  it('lint is clean', () => {
    const result = runBuf(['lint']);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 60_000);

  it('has no breaking change against the committed baseline proto/descriptor.binpb', () => {
    const result = runBuf(['breaking', '--against', join('proto', 'descriptor.binpb')]);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 60_000);
});
