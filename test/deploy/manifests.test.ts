import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { PACKAGE_VERSION } from '../helpers/component.js';

/**
 * The Kubernetes manifests in deploy/kubernetes/ are validated against the Kubernetes OpenAPI schemas
 * (kubernetes-models), and checked against what the image and the config really are: the same image as
 * the CI template, the image's user, its metrics port, a grace period longer than the daemon's shutdown
 * timeout, and a config that env-reaper itself accepts.
 */

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap as never,
  'apps/v1/Deployment': Deployment as never,
  'batch/v1/CronJob': CronJob as never,
};

async function manifests(): Promise<{ file: string; doc: Record<string, unknown> }[]> {
  const dir = 'deploy/kubernetes';
  const out: { file: string; doc: Record<string, unknown> }[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      expect(d.errors, file).toEqual([]);
      out.push({ file, doc: d.toJSON() as Record<string, unknown> });
    }
  }
  return out;
}

describe('deploy/kubernetes manifests', () => {
  it('validate against the Kubernetes schemas', async () => {
    const all = await manifests();
    expect(all.map((m) => m.doc.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'Deployment']);
    for (const { file, doc } of all) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${file}: ${doc.apiVersion}/${doc.kind}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(doc as never).validate(), file).not.toThrow();
    }
  });

  it('a broken manifest is caught (the validation is real)', () => {
    const broken = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'x' },
      spec: { schedule: 5 },
    };
    expect(() => new CronJob(broken as never).validate()).toThrow();
  });

  it('match the image, the CI template and the config', async () => {
    const all = await manifests();
    // The component's first YAML document is its spec: the image tag it defaults to is the package version.
    const [spec] = parseAllDocuments(await readFile('templates/env-reaper.yml', 'utf8')).map((d) =>
      d.toJS(),
    ) as {
      spec: { inputs: { version: { default: string } } };
    }[];
    expect(spec?.spec.inputs.version.default).toBe(PACKAGE_VERSION);
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const shutdown = defaultConfig().daemon.shutdownTimeout / 1000;
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^EXPOSE 9464$/m);
    for (const { doc } of all.filter((m) => m.doc.kind !== 'ConfigMap')) {
      const spec = JSON.stringify(doc);
      expect(spec).toContain(`"image":"registry.example.com/platform/env-reaper:${PACKAGE_VERSION}"`);
      expect(spec).toContain('"runAsUser":1000');
    }
    const deployment = all.find((m) => m.doc.kind === 'Deployment')?.doc as {
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            containers: { ports: { containerPort: number }[] }[];
          };
        };
      };
    };
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(shutdown);
    expect(deployment.spec.template.spec.containers[0]?.ports[0]?.containerPort).toBe(9464);
    const configMap = all.find((m) => m.doc.kind === 'ConfigMap')?.doc as { data: Record<string, string> };
    expect(parseConfig(parse(configMap.data['env-reaper.yaml'] ?? '')).mode).toBe('apply');
  });
});
