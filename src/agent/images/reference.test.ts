import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidReferenceError } from './errors.js';
import { familiarName, normalizeReference, parseReference } from './reference.js';

describe('normalizeReference()', () => {
  const cases = [
    { name: 'one-part Hub name', given: 'busybox', want: 'docker.io/library/busybox:latest' },
    { name: 'Hub name with tag', given: 'busybox:1.36', want: 'docker.io/library/busybox:1.36' },
    { name: 'Hub user repo', given: 'luksa/kubia', want: 'docker.io/luksa/kubia:latest' },
    { name: 'explicit docker.io', given: 'docker.io/luksa/kubia:latest', want: 'docker.io/luksa/kubia:latest' },
    { name: 'index.docker.io alias', given: 'index.docker.io/luksa/kubia', want: 'docker.io/luksa/kubia:latest' },
    { name: 'library prefix', given: 'library/busybox', want: 'docker.io/library/busybox:latest' },
    {
      name: 'other registry with nested path',
      given: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
      want: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
    },
    { name: 'registry with port', given: 'localhost:5000/app', want: 'localhost:5000/app:latest' },
    { name: 'localhost registry', given: 'localhost/app:v1', want: 'localhost/app:v1' },
    {
      name: 'digest only',
      given: `busybox@sha256:${'a'.repeat(64)}`,
      want: `docker.io/library/busybox@sha256:${'a'.repeat(64)}`,
    },
    {
      name: 'tag and digest',
      given: `busybox:1@sha256:${'b'.repeat(64)}`,
      want: `docker.io/library/busybox:1@sha256:${'b'.repeat(64)}`,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(normalizeReference(c.given), c.want));
});

describe('parseReference() rejects', () => {
  for (const bad of ['', 'Busybox', 'busybox:', 'a//b', 'busybox@sha256:xyz', 'foo:bar:baz', '-x']) {
    it(JSON.stringify(bad), () => assert.throws(() => parseReference(bad), InvalidReferenceError));
  }
});

describe('familiarName()', () => {
  it('drops docker.io and library/', () => {
    assert.equal(familiarName(parseReference('docker.io/library/busybox')), 'busybox:latest');
    assert.equal(familiarName(parseReference('luksa/kubia')), 'luksa/kubia:latest');
    assert.equal(familiarName(parseReference('registry.k8s.io/pause:3.9')), 'registry.k8s.io/pause:3.9');
  });
});
