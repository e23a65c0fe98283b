/**
 * `kubectl apply --server-side` against our server-side apply: what kubectl sends, and that it
 * renders our 409 conflict as it renders kube-apiserver's.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/api/meta/status.js';
import type { KubeObject } from '../../src/api/meta/types.js';
import { resources } from '../../src/api/scheme.js';
import { applyObjectBody } from '../../src/apiserver/encoding/body.js';
import { updateManagedFields } from '../../src/apiserver/encoding/managedfields.js';
import { kubectl132, startCaptureServer, type CaptureServer } from './capture.js';

const skip = existsSync(kubectl132) ? false : `${kubectl132} is not installed`;
const path = '/api/v1/namespaces/default/services/kubia';

/** The service as `kubectl apply` (client-side) left it, defaults applied. */
function clientSideApplied(): KubeObject {
  const obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia', namespace: 'default', uid: 'u-1', resourceVersion: '7' },
    spec: {
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: 'kubia' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  } as KubeObject;
  updateManagedFields(resources.services, undefined, obj, {
    manager: 'kubectl-client-side-apply',
    now: '2026-01-01T00:00:00Z',
  });
  return obj;
}

const manifest = `apiVersion: v1
kind: Service
metadata:
  name: kubia
spec:
  sessionAffinity: ClientIP
  ports:
  - port: 80
    targetPort: 8080
  selector:
    app: kubia
`;

describe('kubectl 1.32 apply --server-side', { skip }, () => {
  let cap: CaptureServer;
  before(async () => {
    cap = await startCaptureServer();
    writeFileSync(join(cap.dir, 'svc.yaml'), manifest);
    cap.respond = (w, res) => {
      const current = cap.objects.get(w.path) as KubeObject | undefined;
      try {
        const r = applyObjectBody(current, w.body, w.contentType, resources.services, {
          manager: w.query.get('fieldManager') ?? '',
          force: w.query.get('force') === 'true',
          now: '2026-01-01T00:01:00Z',
          fieldValidation: 'Strict',
        });
        cap.objects.set(w.path, r.object);
        res.writeHead(current ? 200 : 201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(r.object));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        res.writeHead(e.httpStatus, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(e.status));
      }
    };
  });
  after(async () => cap?.close());

  it('creates with an apply patch and prints serverside-applied', async () => {
    cap.objects.clear();
    const r = await cap.kubectl(['apply', '--server-side', '-f', 'svc.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service\/kubia serverside-applied/);
    const w = cap.writes.at(-1);
    assert.equal(w?.method, 'PATCH');
    assert.equal(w?.contentType, 'application/apply-patch+yaml');
    assert.equal(w?.query.get('fieldManager'), 'kubectl');
    assert.equal(w?.query.get('force'), 'false');
    const obj = cap.objects.get(path) as KubeObject;
    assert.equal(obj.metadata.managedFields?.[0]?.manager, 'kubectl');
  });

  it("prints our conflict as kubectl prints kube-apiserver's, and --force-conflicts takes over", async () => {
    cap.objects.set(path, clientSideApplied());
    const r = await cap.kubectl(['apply', '--server-side', '-f', 'svc.yaml']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: \.spec\.sessionAffinity/,
    );
    assert.match(r.stderr, /--force-conflicts/);

    const forced = await cap.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      'svc.yaml',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(cap.writes.at(-1)?.query.get('force'), 'true');
    const obj = cap.objects.get(path) as KubeObject & { spec: { sessionAffinity: string } };
    assert.equal(obj.spec.sessionAffinity, 'ClientIP');
    const managers = obj.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}`);
    assert.deepEqual(managers, ['kubectl/Apply', 'kubectl-client-side-apply/Update']);
  });

  it('shows managed fields with --show-managed-fields', async () => {
    const r = await cap.kubectl(['get', 'svc', 'kubia', '-o', 'yaml', '--show-managed-fields']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /manager: kubectl\n\s+operation: Apply/);
    assert.match(r.stdout, /k:\{"port":80,"protocol":"TCP"\}:/);
  });
});
