import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IngressClass } from '../api/types/networking.js';
import { isOurIngress } from './class.js';
import { ingress } from './fixtures.js';

const classes: Record<string, IngressClass> = {
  portico: { metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress' } },
  renamed: { metadata: { name: 'renamed' }, spec: { controller: 'portico.dev/ingress' } },
  nginx: { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
};
const lookup = (n: string) => classes[n];
const options = {
  className: 'portico',
  controllerName: 'portico.dev/ingress',
  watchWithoutClass: true,
};

test('isOurIngress follows ingressClassName, then the legacy annotation, then the no-class rule', () => {
  const rows: [
    string,
    Parameters<typeof ingress>[1],
    Record<string, string> | undefined,
    boolean,
    boolean,
  ][] = [
    // name, spec, annotations, ours (watchWithoutClass), ours (not watching class-less)
    ['our class', { ingressClassName: 'portico' }, undefined, true, true],
    ['another class of our controller', { ingressClassName: 'renamed' }, undefined, true, true],
    ['a foreign class', { ingressClassName: 'nginx' }, undefined, false, false],
    [
      'ING-13: a class that does not exist',
      { ingressClassName: 'some-invalid-class-name' },
      undefined,
      false,
      false,
    ],
    ['annotation: ours', {}, { 'kubernetes.io/ingress.class': 'portico' }, true, true],
    ['annotation: foreign', {}, { 'kubernetes.io/ingress.class': 'nginx' }, false, false],
    [
      'class name beats the annotation',
      { ingressClassName: 'nginx' },
      { 'kubernetes.io/ingress.class': 'portico' },
      false,
      false,
    ],
    ['no class', {}, undefined, true, false],
  ];
  for (const [name, spec, annotations, ours, oursStrict] of rows) {
    const ing = ingress('i', spec, annotations ? { annotations } : {});
    assert.equal(isOurIngress(ing, lookup, options), ours, name);
    assert.equal(
      isOurIngress(ing, lookup, { ...options, watchWithoutClass: false }),
      oursStrict,
      `${name} (strict)`,
    );
  }
});
