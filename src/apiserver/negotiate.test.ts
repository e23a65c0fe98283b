import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from './negotiate.js';

const kubectlGet =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

test('negotiate(): kubectl get asks for a Table', () => {
  assert.equal(negotiate(kubectlGet), 'table');
});

test('negotiate(): no Accept, JSON, protobuf-first and */* all answer the object', () => {
  assert.equal(negotiate(undefined), 'object');
  assert.equal(negotiate('application/json'), 'object');
  assert.equal(negotiate('application/vnd.kubernetes.protobuf,application/json'), 'object');
  assert.equal(negotiate('application/json, */*'), 'object');
});

test('negotiate(): PartialObjectMetadata for metadata clients', () => {
  assert.equal(
    negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'),
    'metadata',
  );
});

test('negotiate(): a Table of an unknown group falls through to the next choice', () => {
  assert.equal(
    negotiate('application/json;as=Table;v=v1;g=example.com,application/json'),
    'object',
  );
});

test('negotiate(): only unacceptable types is 406', () => {
  assert.throws(
    () => negotiate('text/html'),
    (e: unknown) => (e as { httpStatus?: number }).httpStatus === 406,
  );
});
