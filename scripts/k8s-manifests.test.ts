// deploy/kubernetes and the Dockerfile agree with the code: the ConfigMap overlay parses with the real config
// schema (with the env the pods get), probe paths are the server's public health routes, ports are the
// configured ones, Services and PDBs select the pods, the grace period covers the shutdown budget, and the
// Secret holds only placeholders. Pure file reads; no cluster needed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, parseAddress, type Config } from '@tasker/shared/config';
import { REST_ROUTE_PERMISSIONS } from '../packages/orchestration/src/rest/permissions.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIR = path.join(ROOT, 'deploy/kubernetes');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs: Obj[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  }),
);

function find(kind: string, name: string): Obj {
  const doc = docs.find((d) => d['kind'] === kind && d['metadata']?.['name'] === name);
  if (doc === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return doc;
}

const orchestration = find('Deployment', 'tasker-orchestration');
const worker = find('Deployment', 'tasker-worker');
const job = find('Job', 'tasker-migrate');
const secret = find('Secret', 'tasker-secrets');
const configMap = find('ConfigMap', 'tasker-config');
const container = (workload: Obj): Obj => workload['spec']['template']['spec']['containers'][0];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tasker-k8s-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(path.join(tmp, 'default.yaml'), readFileSync(path.join(ROOT, 'config/default.yaml')));
writeFileSync(path.join(tmp, 'production.yaml'), configMap['data']['production.yaml']);

/** The environment a container gets: literal values plus the Secret's values for secretKeyRefs. */
function envOf(c: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c['env'] ?? []) {
    const ref = e['valueFrom']?.['secretKeyRef'];
    if (ref !== undefined) {
      expect(ref['name']).toBe('tasker-secrets');
      const value = secret['stringData'][ref['key']];
      expect(value, `secret key ${ref['key']}`).toBeTypeOf('string');
      env[e['name']] = value;
    } else env[e['name']] = e['value'];
  }
  return env;
}

function configOf(workload: Obj): Config {
  return loadConfig({ configDir: tmp, env: envOf(container(workload)) });
}

function port(address: string): number {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new Error(`bad address ${address}`);
  return parsed.port;
}

function portNamed(c: Obj, name: string | number): number {
  if (typeof name === 'number') return name;
  const p = (c['ports'] as Obj[]).find((x) => x['name'] === name);
  if (p === undefined) throw new Error(`container ${c['name']} has no port ${name}`);
  return p['containerPort'];
}

function preStopSeconds(c: Obj): number {
  const command: string[] = c['lifecycle']['preStop']['exec']['command'];
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
}

describe('deploy/kubernetes', () => {
  it('lists every manifest in the kustomization', () => {
    const kustomization = docs.find((d) => d['kind'] === 'Kustomization');
    if (kustomization === undefined) throw new Error('no kustomization.yaml');
    expect([...kustomization['resources']].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('has a ConfigMap overlay that parses with the config schema for every workload', () => {
    for (const workload of [orchestration, worker, job]) {
      expect(envOf(container(workload))['TASKER_ENV']).toBe('production');
      const config = configOf(workload);
      expect(config.environment).toBe('production');
    }
    const config = configOf(orchestration);
    expect(config.database.url).toBe(secret['stringData']['DATABASE_URL']);
    expect(config.grpc.reflection.enabled).toBe(false);
  });

  it('probes the orchestration server on its public health routes and configured ports', () => {
    const config = configOf(orchestration);
    const c = container(orchestration);
    expect(portNamed(c, 'http')).toBe(port(config.rest.address));
    expect(portNamed(c, 'grpc')).toBe(port(config.grpc.address));
    expect(port(config.rest.address)).toBe(8080);
    expect(port(config.grpc.address)).toBe(9190);

    expect(c['livenessProbe']['httpGet']['path']).toBe('/health/live');
    expect(c['readinessProbe']['httpGet']['path']).toBe('/health/ready');
    for (const probe of [c['livenessProbe'], c['readinessProbe']]) {
      expect(portNamed(c, probe['httpGet']['port'])).toBe(8080);
      expect(REST_ROUTE_PERMISSIONS[`GET ${probe['httpGet']['path']}` as keyof typeof REST_ROUTE_PERMISSIONS]).toBe(
        'public',
      );
    }
    expect(c['startupProbe']['grpc']['port']).toBe(port(config.grpc.address));
    expect(c['startupProbe']['grpc']['service']).toBe('');
    expect(orchestration['spec']['template']['metadata']['annotations']['prometheus.io/port']).toBe(
      String(portNamed(c, 'http')),
    );
  });

  it('probes workers on their REST port and gives them the configured ports', () => {
    const config = configOf(worker);
    const c = container(worker);
    expect(portNamed(c, 'http')).toBe(port(config.worker.rest_address));
    expect(portNamed(c, 'grpc')).toBe(port(config.worker.grpc_address));
    expect([port(config.worker.rest_address), port(config.worker.grpc_address)]).toEqual([8081, 9191]);
    expect(c['livenessProbe']['httpGet']).toEqual({ path: '/health/live', port: 'http' });
    expect(c['readinessProbe']['httpGet']).toEqual({ path: '/health/ready', port: 'http' });
    expect(worker['spec']['template']['metadata']['annotations']['prometheus.io/port']).toBe('8081');
  });

  it('routes Services to named container ports, and workers to the headless gRPC Service', () => {
    const c = container(orchestration);
    for (const name of ['tasker-orchestration', 'tasker-orchestration-grpc']) {
      const service = find('Service', name);
      expect(service['spec']['selector']).toEqual(orchestration['spec']['template']['metadata']['labels']);
      for (const p of service['spec']['ports'] as Obj[]) expect(portNamed(c, p['targetPort'])).toBe(p['port']);
    }
    expect(find('Service', 'tasker-orchestration-grpc')['spec']['clusterIP']).toBe('None');
    const [address] = configOf(worker).worker.orchestration.addresses;
    expect(address).toBe(`tasker-orchestration-grpc:${portNamed(c, 'grpc')}`);
  });

  it('lets pods finish their shutdown budget before SIGKILL', () => {
    const config = configOf(orchestration);
    for (const [workload, budgetMs] of [
      [orchestration, config.shutdown.grace_ms],
      [worker, config.worker.drain_timeout_ms],
    ] as const) {
      const grace = workload['spec']['template']['spec']['terminationGracePeriodSeconds'] as number;
      expect(grace * 1000).toBeGreaterThan(preStopSeconds(container(workload)) * 1000 + budgetMs);
    }
  });

  it('selects the right pods in Deployments and PodDisruptionBudgets', () => {
    for (const [workload, pdbName] of [
      [orchestration, 'tasker-orchestration'],
      [worker, 'tasker-worker'],
    ] as const) {
      const labels = workload['spec']['template']['metadata']['labels'];
      expect(workload['spec']['selector']['matchLabels']).toEqual(labels);
      expect(find('PodDisruptionBudget', pdbName)['spec']['selector']['matchLabels']).toEqual(labels);
    }
    expect(orchestration['spec']['replicas']).toBeGreaterThan(
      find('PodDisruptionBudget', 'tasker-orchestration')['spec']['minAvailable'],
    );
  });

  it('keeps only placeholders in the Secret', () => {
    const values = Object.values(secret['stringData'] as Record<string, string>);
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(v).toContain('CHANGE_ME');
    expect(secret['data']).toBeUndefined();
  });

  it('migrates with the npm script and runs entry points that exist, the worker as `npm run worker` does', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(container(job)['command']).toEqual(['npm', 'run', 'migrate']);
    expect(pkg.scripts['migrate']).toBeDefined();
    for (const workload of [orchestration, worker]) {
      const command: string[] = container(workload)['command'];
      expect(command.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
      expect(existsSync(path.join(ROOT, command[3] as string)), command[3]).toBe(true);
    }
    expect(container(orchestration)['command'][3]).toBe('packages/orchestration/src/main.ts');
    expect(['tsx', ...container(worker)['command'].slice(3)].join(' ')).toBe(pkg.scripts['worker']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

  it('builds on node:20-slim and runs orchestration by default, as the Deployment does', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(container(orchestration)['command']);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('copies only paths that exist in the repository', () => {
    const copied = [...dockerfile.matchAll(/^COPY --from=build \/app\/(\S+)(?: \/app\/(\S+))? \S+$/gm)].flatMap((m) =>
      [m[1], m[2]].filter((p): p is string => p !== undefined),
    );
    expect(copied.length).toBeGreaterThan(5);
    for (const p of copied.filter((x) => !x.startsWith('node_modules/')))
      expect(existsSync(path.join(ROOT, p)), p).toBe(true);
  });
});
