import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ImageNotFoundError, InvalidReferenceError } from './errors.js';
import { importImages } from './import.js';
import { ImageStore } from './store.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('ImageStore built-in images', () => {
  it('resolve() accepts every spelling of a shipped image', async (t) => {
    const store = new ImageStore({ dir: tmp(t) });
    const kubia = await store.resolve('luksa/kubia');
    for (const ref of ['luksa/kubia:latest', 'docker.io/luksa/kubia:latest', 'index.docker.io/luksa/kubia', 'wanstack/kubia']) {
      assert.equal((await store.resolve(ref)).id, kubia.id, ref);
    }
    assert.equal((await store.resolve(kubia.id.slice(0, 19))).id, kubia.id, 'by id prefix');
    assert.notEqual((await store.resolve('luksa/kubia:v2')).id, kubia.id);
    const agn = await store.resolve('registry.k8s.io/e2e-test-images/agnhost:2.47');
    assert.equal((await store.resolve('registry.k8s.io/e2e-test-images/agnhost:2.39')).id, agn.id, 'any agnhost tag');
    assert.equal((await store.resolve('agnhost')).id, agn.id, 'short alias');
    assert.deepEqual(agn.config.entrypoint, ['/agnhost']);
    assert.deepEqual((await store.resolve('busybox:1.36')).config.cmd, ['sh']);
    assert.ok((await store.resolve('tutum/dnsutils')).builtin);
    assert.ok(await store.resolve('registry.k8s.io/ingressconformance/echoserver:v0.0.1'));
  });

  it('unknown images and tags are ImageNotFoundError; bad references InvalidReferenceError', async (t) => {
    const store = new ImageStore({ dir: tmp(t) });
    await assert.rejects(store.resolve('luksa/kubia:v9'), ImageNotFoundError);
    await assert.rejects(store.resolve('example.com/app'), ImageNotFoundError);
    await assert.rejects(store.resolve('Luksa/Kubia'), InvalidReferenceError);
  });

  it('materialises the kubia layer: a launcher and the compiled app, run by the host node', async (t) => {
    const store = new ImageStore({ dir: tmp(t) });
    const kubia = await store.resolve('luksa/kubia');
    const [apps, launcher] = kubia.layers;
    assert.ok(apps && launcher);
    assert.match(readFileSync(join(launcher, 'app.js'), 'utf8'), /kubia\.js.*kubia\("latest"\)/);
    assert.ok(existsSync(join(apps, 'usr/lib/portico-apps/kubia.js')));
    assert.ok(!existsSync(join(apps, 'usr/lib/portico-apps/kubia.test.js')));
    assert.deepEqual(kubia.config.entrypoint, ['node', 'app.js']);
    assert.ok(kubia.config.exposedPorts?.includes('8080/tcp'));
    // Opening again reuses the layers (same content, same directories).
    const again = await new ImageStore({ dir: store.dir }).resolve('luksa/kubia');
    assert.deepEqual(again.layers, kubia.layers);
  });
});

/** A `docker save`-style archive with two layers, the second deleting a file of the first. */
function dockerSave(dir: string): string {
  const root = join(dir, 'save');
  const l1 = join(dir, 'l1');
  const l2 = join(dir, 'l2');
  mkdirSync(join(l1, 'opt/app'), { recursive: true });
  writeFileSync(join(l1, 'opt/app/keep'), 'keep\n');
  writeFileSync(join(l1, 'opt/app/gone'), 'gone\n');
  mkdirSync(join(l1, 'opt/data'), { recursive: true });
  mkdirSync(join(l2, 'opt/app'), { recursive: true });
  writeFileSync(join(l2, 'opt/app/.wh.gone'), '');
  mkdirSync(join(l2, 'opt/data'), { recursive: true });
  writeFileSync(join(l2, 'opt/data/.wh..wh..opq'), '');
  mkdirSync(join(root, 'a'), { recursive: true });
  mkdirSync(join(root, 'b'), { recursive: true });
  execFileSync('tar', ['-cf', join(root, 'a/layer.tar'), '-C', l1, 'opt']);
  execFileSync('tar', ['-cf', join(root, 'b/layer.tar'), '-C', l2, 'opt']);
  const config = JSON.stringify({ config: { Entrypoint: ['/opt/app/run'], Env: ['A=1'], ExposedPorts: { '80/tcp': {} } } });
  const cfgName = `${createHash('sha256').update(config).digest('hex')}.json`;
  writeFileSync(join(root, cfgName), config);
  writeFileSync(
    join(root, 'manifest.json'),
    JSON.stringify([{ Config: cfgName, RepoTags: ['example.com/team/app:1.0'], Layers: ['a/layer.tar', 'b/layer.tar'] }]),
  );
  const tar = join(dir, 'app.tar');
  execFileSync('tar', ['-cf', tar, '-C', root, '.']);
  return tar;
}

describe('importImages()', { skip: process.getuid?.() !== 0 ? 'needs root (mknod for whiteouts)' : false }, () => {
  it('imports a docker save archive, converting whiteouts, and resolves it by name', async (t) => {
    const dir = tmp(t);
    const store = new ImageStore({ dir: join(dir, 'images') });
    const xattrs: string[] = [];
    const [rec] = await importImages(store, dockerSave(dir), {
      setXattr: (path, name, value) => {
        xattrs.push(`${path.slice(store.layersDir.length)} ${name}=${value}`);
        return Promise.resolve();
      },
    });
    assert.ok(rec);
    const img = await store.resolve('example.com/team/app:1.0');
    assert.equal(img.id, rec.id);
    assert.deepEqual(img.config, { entrypoint: ['/opt/app/run'], env: ['A=1'], exposedPorts: ['80/tcp'] });
    const [l1, l2] = img.layers;
    assert.ok(l1 && l2);
    assert.equal(readFileSync(join(l1, 'opt/app/keep'), 'utf8'), 'keep\n');
    const wh = lstatSync(join(l2, 'opt/app/gone'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout = 0:0 character device');
    assert.ok(!existsSync(join(l2, 'opt/app/.wh.gone')));
    assert.equal(xattrs.length, 1);
    assert.match(xattrs[0] ?? '', /\/opt\/data trusted\.overlay\.opaque=y$/);
    assert.equal((await store.list()).filter((i) => !i.builtin).length, 1);
    await store.remove('example.com/team/app:1.0');
    await assert.rejects(store.resolve('example.com/team/app:1.0'), ImageNotFoundError);
    assert.ok(!existsSync(l1));
  });

  it('an imported image shadows a built-in one of the same name', async (t) => {
    const dir = tmp(t);
    const store = new ImageStore({ dir: join(dir, 'images') });
    await importImages(store, dockerSave(dir), { name: 'busybox:latest', setXattr: () => Promise.resolve() });
    const bb = await store.resolve('busybox');
    assert.equal(bb.builtin, false);
    assert.ok((await store.resolve('busybox:1.36')).builtin, 'other tags stay built-in');
  });

  it('imports an OCI layout (gzip layer, index with a platform list) tagged by --name', async (t) => {
    const dir = tmp(t);
    const layout = join(dir, 'oci');
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const put = (data: Buffer): { digest: string; size: number } => {
      const hex = createHash('sha256').update(data).digest('hex');
      writeFileSync(join(blobs, hex), data);
      return { digest: `sha256:${hex}`, size: data.length };
    };
    const content = join(dir, 'content');
    mkdirSync(join(content, 'srv'), { recursive: true });
    writeFileSync(join(content, 'srv/hello'), 'hi\n');
    const layer = put(execFileSync('sh', ['-c', `tar -cf - -C ${content} srv | gzip`]));
    const config = put(Buffer.from(JSON.stringify({ config: { Cmd: ['cat', '/srv/hello'] } })));
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
        }),
      ),
    );
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const index = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture: 's390x' } },
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture: arch } },
          ],
        }),
      ),
    );
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            ...index,
            annotations: { 'org.opencontainers.image.ref.name': '1.0' },
          },
        ],
      }),
    );
    const store = new ImageStore({ dir: join(dir, 'images') });
    await importImages(store, layout, { name: 'example.com/oci/app', setXattr: () => Promise.resolve() });
    const img = await store.resolve('example.com/oci/app:1.0');
    assert.equal(img.id, config.digest);
    assert.deepEqual(img.config.cmd, ['cat', '/srv/hello']);
    assert.equal(readFileSync(join(img.layers[0] ?? '', 'srv/hello'), 'utf8'), 'hi\n');
  });
});
