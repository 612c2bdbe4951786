/**
 * Optional capabilities (src/platforms/capabilities.ts): which adapters have which, found by the
 * type guards (never by a cast), and `faasload teardown` failing on what teardown could not delete.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FaasloadError } from '../src/errors.js';
import {
  announcesInstances,
  isDeployable,
  isManifestDeployable,
  returnsActionResults,
} from '../src/platforms/capabilities.js';
import { createPlatform, PLATFORM_KINDS, type PlatformOptions } from '../src/platforms/registry.js';
import { withRetry } from '../src/platforms/wrappers.js';
import { teardownDeployed } from '../src/run/deploy.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

test('each adapter declares its capabilities, and the guards find them', { timeout: 30_000 }, async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const options: PlatformOptions = {
    runtime: 'process',
    openwhisk: { apiHost: url, auth: 'user:key' },
    knative: { ingressUrl: url },
    openfaas: { gatewayUrl: url },
    lambda: { region: 'us-east-1', endpoint: url },
    http: { url: `${url}/{function}` },
  };
  const found: Record<string, string[]> = {};
  for (const kind of PLATFORM_KINDS) {
    const p = createPlatform(kind, options);
    try {
      found[kind] = [
        ...(isDeployable(p) ? ['deployable'] : []),
        ...(isManifestDeployable(p) ? ['manifest'] : []),
        ...(returnsActionResults(p) ? ['results'] : []),
        ...(announcesInstances(p) ? ['instances'] : []),
      ];
    } finally {
      await p.teardown();
    }
  }
  assert.deepEqual(found, {
    local: ['results', 'instances'],
    openwhisk: ['deployable', 'manifest', 'results'],
    knative: ['deployable'],
    openfaas: ['deployable'],
    lambda: [],
    http: [],
  });
  const http = createPlatform('http', options);
  assert.equal(isDeployable(withRetry(http, { retries: 1, backoffMs: 1 })), false, 'wrappers forward none');
  await http.teardown();
});

test('faasload teardown of a manifest fails, naming what it could not delete', {
  timeout: 30_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faasload-capabilities-'));
  writeFileSync(join(dir, 'hello.js'), 'function main() { return {}; }\n');
  const manifest = join(dir, 'manifest.yaml');
  writeFileSync(
    manifest,
    'packages:\n  default:\n    actions:\n      hello:\n        function: hello.js\n        runtime: nodejs:20\n',
  );
  const apiHost = `http://127.0.0.1:${await closedPort()}`;
  await assert.rejects(
    teardownDeployed({ manifest, openwhisk: { apiHost, auth: 'user:key' } }),
    (e: unknown) =>
      e instanceof FaasloadError &&
      e.code === 'E_PLATFORM' &&
      /teardown could not delete 1 action\(s\).*hello/.test(e.message) &&
      !e.message.includes('user:key'),
  );
  await assert.rejects(
    teardownDeployed({ manifest, platform: 'knative', knative: { ingressUrl: apiHost } }),
    /--manifest is a wskdeploy manifest/,
  );
});
