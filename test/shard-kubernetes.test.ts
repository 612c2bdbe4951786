import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/paths.js';

/**
 * The Kubernetes manifests of deploy/kubernetes, validated offline against the Kubernetes API's
 * JSON schemas (the kubernetes-models package: its validators are generated from the OpenAPI
 * schemas that Kubernetes publishes). kubectl's own client-side validation needs a cluster to
 * download the schemas from, and kubeconform installs from neither Debian nor npm.
 */

const DIR = join(REPO_ROOT, 'deploy', 'kubernetes');

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };

async function manifests(): Promise<{ file: string; doc: Doc }[]> {
  const out: { file: string; doc: Doc }[] = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(await readFile(join(DIR, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file}: YAML errors`);
      out.push({ file, doc: d.toJS() as Doc });
    }
  }
  return out;
}

/** The kubernetes-models class for an apiVersion and kind, e.g. batch/v1 Job. */
async function modelOf(doc: Doc): Promise<new (data: unknown) => { validate(): void }> {
  const module = (await import(`kubernetes-models/${doc.apiVersion}`)) as Record<string, unknown>;
  const model = module[doc.kind];
  assert.equal(typeof model, 'function', `no schema for ${doc.apiVersion} ${doc.kind}`);
  return model as new (
    data: unknown,
  ) => { validate(): void };
}

async function validate(doc: Doc): Promise<void> {
  const Model = await modelOf(doc);
  new Model(doc).validate();
}

function byKind(docs: { doc: Doc }[], kind: string, name: string): Doc {
  const found = docs.find((d) => d.doc.kind === kind && d.doc.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found.doc;
}

// biome-ignore lint/suspicious/noExplicitAny: walking parsed YAML
type Any = any;

describe('deploy/kubernetes', () => {
  it('every manifest validates against the Kubernetes API schemas', async () => {
    const docs = await manifests();
    const kinds = new Set<string>();
    for (const { file, doc } of docs) {
      if (doc.kind === 'Kustomization') continue;
      await assert.doesNotReject(validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`);
      kinds.add(doc.kind);
    }
    assert.deepEqual([...kinds].sort(), ['ConfigMap', 'Job', 'PersistentVolumeClaim', 'Secret']);
  });

  it('the validator is not vacuous: a wrong type or an unknown field fails', async () => {
    const job = structuredClone(byKind(await manifests(), 'Job', 'faasload-replay')) as Any;
    job.spec.completions = 'three';
    await assert.rejects(validate(job), /completions|integer/);
    const typo = structuredClone(byKind(await manifests(), 'Job', 'faasload-replay')) as Any;
    typo.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    await assert.rejects(validate(typo), /imagePullPolicy|allowed values|enum/i);
  });

  it('is an Indexed Job of N shards, each running shard JOB_COMPLETION_INDEX of N as non-root', async () => {
    const docs = await manifests();
    const job = byKind(docs, 'Job', 'faasload-replay') as Any;
    const config = byKind(docs, 'ConfigMap', 'faasload-run') as Any;
    const shards = Number(config.data.SHARDS);
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.equal(job.spec.completions, shards, 'completions = SHARDS');
    assert.equal(job.spec.parallelism, shards, 'parallelism = SHARDS: every shard runs at once');
    assert.equal(job.spec.backoffLimit, 0, 'a failed shard is not retried late');
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const container = pod.containers[0];
    assert.equal(container.envFrom[0].configMapRef.name, 'faasload-run');
    assert.deepEqual(
      pod.volumes.find((v: Any) => v.name === 'data').persistentVolumeClaim,
      { claimName: byKind(docs, 'PersistentVolumeClaim', 'faasload-data').metadata.name },
      'results go to the shared volume',
    );
    const kustomization = docs.find((d) => d.doc.kind === 'Kustomization')!.doc as Any;
    for (const r of kustomization.resources) assert.ok(existsSync(join(DIR, r)), `kustomization: ${r}`);
  });

  it("the shard's command line, as its shell expands it, is a command faasload accepts", async () => {
    const docs = await manifests();
    const job = byKind(docs, 'Job', 'faasload-replay') as Any;
    const config = byKind(docs, 'ConfigMap', 'faasload-run') as Any;
    const container = job.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ['/bin/sh', '-c']);
    // The pod's shell, with faasload replaced by a function that prints its arguments.
    const script = `faasload() { printf '%s\\n' "$@"; }\n${String(container.args[0]).replace(/^exec /, '')}`;
    const argv = execFileSync('/bin/sh', ['-c', script], {
      env: { ...config.data, JOB_COMPLETION_INDEX: '2', PATH: process.env.PATH },
      encoding: 'utf8',
    })
      .trimEnd()
      .split('\n');
    assert.equal(argv[0], 'replay');
    assert.equal(argv[1], config.data.TRACE);
    assert.deepEqual(argv.slice(2, 8), [
      '--shard',
      `2/${config.data.SHARDS}`,
      '--start-at',
      config.data.START_AT,
      '--out',
      `/data/results/${config.data.RUN}/shard-2`,
    ]);
    assert.deepEqual(argv.slice(8), config.data.REPLAY_FLAGS.split(' '));
    // The real CLI parses every flag: it stops only at the trace, which is not on this machine.
    const r = await runCli(argv, 60_000);
    assert.doesNotMatch(r.stderr, /Unknown argument|expected|only apply/, r.stderr);
    assert.match(r.stderr, /data\/traces\/azure2019/, r.stderr);
  });

  it('the image is built in two stages with npm ci and runs as a non-root user', async () => {
    const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.match(/^FROM\s+\S+/gm) ?? [];
    assert.equal(stages.length, 2, 'a build stage and a runtime stage');
    assert.match(dockerfile, /^RUN npm ci\b/m);
    assert.match(dockerfile, /npm prune --omit=dev/);
    const users = dockerfile.match(/^USER\s+(\S+)/gm) ?? [];
    assert.equal(users.at(-1), 'USER node', 'the runtime user is node (uid 1000), not root');
    const job = byKind(await manifests(), 'Job', 'faasload-replay') as Any;
    assert.equal(job.spec.template.spec.securityContext.runAsUser, 1000, 'the Job runs as the same uid');
    const ignore = await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8');
    for (const entry of ['node_modules', 'dist', '.git', 'results'])
      assert.match(ignore, new RegExp(`^${entry.replace('.', '\\.')}$`, 'm'), entry);
  });
});
