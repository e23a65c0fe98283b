import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isWildcardDNS1123Subdomain,
  nameIsDNSSubdomain,
} from './names.js';

const dns1035Msg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

test('isDNS1035Label() gives kube\'s message (double space before "or" included)', () => {
  assert.deepEqual(isDNS1035Label('my-svc'), []);
  assert.deepEqual(isDNS1035Label('1svc'), [dns1035Msg]);
  assert.deepEqual(isDNS1035Label('a'.repeat(63)), []);
  assert.deepEqual(isDNS1035Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.equal(isDNS1035Label('My-Svc').length, 1);
  assert.equal(isDNS1035Label('svc.dotted').length, 1);
});

test('isDNS1123Label() says "must not contain dots" for a valid subdomain', () => {
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('123-abc'), []);
  assert.match(isDNS1123Label('Ab')[0] ?? '', /^a lowercase RFC 1123 label must consist of/);
});

test('isDNS1123Subdomain() accepts dotted names and quotes the regex', () => {
  assert.deepEqual(isDNS1123Subdomain('foo.example.com'), []);
  assert.deepEqual(isDNS1123Subdomain('foo_bar.example.com'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.equal(isDNS1123Subdomain('-foo.example.com').length, 1);
});

test('isWildcardDNS1123Subdomain() accepts only a leading "*."', () => {
  assert.deepEqual(isWildcardDNS1123Subdomain('*.foo.com'), []);
  for (const bad of ['*.*.foo.com', 'foo.*.com', '*foo.com', '*']) {
    assert.match(
      isWildcardDNS1123Subdomain(bad)[0] ?? '',
      /^a wildcard DNS-1123 subdomain must start with '\*\.'/,
      bad,
    );
  }
});

test('isQualifiedName() checks prefix and name separately', () => {
  assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
  assert.deepEqual(isQualifiedName('/name'), ['prefix part must be non-empty']);
  assert.equal(isQualifiedName('a/b/c').length, 1);
  assert.match(isQualifiedName('a/b/c')[0] ?? '', /^a qualified name must consist of/);
  assert.deepEqual(
    isQualifiedName('Example.COM/x').map((m) => m.slice(0, 20)),
    ['prefix part a lowerc'],
  );
  assert.equal(isQualifiedName('x'.repeat(64))[0], 'name part must be no more than 63 characters');
});

test('isValidLabelValue() allows empty values', () => {
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('my_value'), []);
  assert.equal(isValidLabelValue('a b').length, 1);
});

test('isValidPortName() lists every broken IANA_SVC_NAME rule', () => {
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('Bad_Name'), [
    'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  ]);
  assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(isValidPortName('-ab'), ['must not begin or end with a hyphen']);
  assert.deepEqual(isValidPortName('abcdefghijklmnop'), ['must be no more than 15 characters']);
});

test('isConfigMapKey() rejects . and .. prefixes', () => {
  assert.deepEqual(isConfigMapKey('tls.crt'), []);
  assert.deepEqual(isConfigMapKey('..data'), ["must not start with '..'"]);
  assert.equal(isConfigMapKey('a/b').length, 1);
});

test('nameIsDNSSubdomain() allows a trailing dash in generateName', () => {
  assert.deepEqual(nameIsDNSSubdomain('e2e-example-ing-', true), []);
  assert.equal(nameIsDNSSubdomain('e2e-example-ing-', false).length, 1);
});
