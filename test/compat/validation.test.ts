/**
 * kubectl's default validation with our OpenAPI v3: `kubectl create -f` reads the documents,
 * finds the fieldValidation parameter and sends `fieldValidation=Strict`, leaving validation to
 * the server. Every seed manifest must then pass our strict decoding as kubectl sends it, and
 * `kubectl explain` must describe the kinds from our schemas.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/api/meta/status.js';
import { allResources, apiVersionOf } from '../../src/api/scheme.js';
import { decodeObjectBody, fieldValidationOf } from '../../src/apiserver/encoding/body.js';
import { kubectl132, startCaptureServer, type CaptureServer } from './capture.js';

const skip = existsSync(kubectl132) ? false : `${kubectl132} is not installed`;
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

describe('kubectl 1.32 validation and explain with our OpenAPI', { skip }, () => {
  let cap: CaptureServer;
  before(async () => {
    cap = await startCaptureServer();
    cap.respond = (w, res) => {
      const parts = w.path.split('/');
      const plural = parts.at(-1) ?? '';
      const gv = w.path.startsWith('/api/') ? parts[2] : `${parts[2]}/${parts[3]}`;
      const rt = allResources.find((r) => r.resource === plural && apiVersionOf(r) === gv);
      try {
        assert.ok(rt, `resource for ${w.path}`);
        const r = decodeObjectBody(w.body, w.contentType, rt, {
          fieldValidation: fieldValidationOf(w.query),
        });
        res.writeHead(201, {
          'Content-Type': 'application/json',
          ...(r.warnings.length
            ? { Warning: r.warnings.map((x) => `299 - ${JSON.stringify(x)}`) }
            : {}),
        });
        res.end(JSON.stringify(r.object));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        res.writeHead(e.httpStatus, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(e.status));
      }
    };
  });
  after(async () => cap?.close());

  const files = existsSync(seeds) ? readdirSync(seeds).filter((f) => f.endsWith('.yaml')) : [];
  it('has the seed manifests', () => assert.ok(files.length >= 15, seeds));
  for (const f of files) {
    it(`create -f ${f}: Strict server-side validation accepts it`, async () => {
      const n = cap.writes.length;
      const r = await cap.kubectl(['create', '-f', join(seeds, f)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, / created/);
      const writes = cap.writes.slice(n);
      assert.ok(writes.length > 0);
      for (const w of writes) assert.equal(w.query.get('fieldValidation'), 'Strict', w.path);
    });
  }

  it("rejects an unknown field with kube's message, and warns with --validate=warn", async () => {
    writeFileSync(
      join(cap.dir, 'bad-field.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  portz:\n  - port: 80\n',
    );
    const strict = await cap.kubectl(['create', '-f', 'bad-field.yaml']);
    assert.equal(strict.code, 1);
    assert.match(
      strict.stderr,
      /Error from server \(BadRequest\): error when creating "bad-field.yaml": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"/,
    );
    const warn = await cap.kubectl(['create', '-f', 'bad-field.yaml', '--validate=warn']);
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "spec.portz"/);
  });

  it('kind: List files: kubectl validates them on the client with our /openapi/v2', async () => {
    writeFileSync(
      join(cap.dir, 'list.yaml'),
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec: {ports: [{port: 80}]}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n  data: {k: v}\n',
    );
    const ok = await cap.kubectl(['apply', '-f', 'list.yaml']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /service\/a created\nconfigmap\/b created/);
    writeFileSync(
      join(cap.dir, 'badlist.yaml'),
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec: {portz: 1}\n',
    );
    const bad = await cap.kubectl(['create', '-f', 'badlist.yaml']);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /ValidationError\(Service.spec\): unknown field "portz" in io.k8s.api.core.v1.ServiceSpec/,
    );
  });

  const explains: { args: string[]; want: RegExp[] }[] = [
    {
      args: ['explain', 'svc.spec.ports'],
      want: [
        /KIND:\s+Service/,
        /FIELD: ports <\[\]ServicePort>/,
        /port\s+<integer> -required-/,
        /targetPort\s+<IntOrString>/,
      ],
    },
    {
      args: ['explain', 'pods.spec.containers.resources'],
      want: [/limits\s+<map\[string\]Quantity>/],
    },
    {
      args: ['explain', 'endpointslices'],
      want: [/GROUP:\s+discovery.k8s.io/, /addressType\s+<string> -required-/],
    },
    {
      args: [
        'explain',
        'ingresses.spec.rules.http.paths.backend',
        '--api-version=extensions/v1beta1',
      ],
      want: [/serviceName\s+<string>/, /servicePort\s+<IntOrString>/],
    },
  ];
  for (const e of explains) {
    it(`kubectl ${e.args.join(' ')}`, async () => {
      const r = await cap.kubectl(e.args);
      assert.equal(r.code, 0, r.stderr);
      for (const w of e.want) assert.match(r.stdout, w);
    });
  }
});
