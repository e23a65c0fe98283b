/**
 * YAML bodies (`application/yaml`, `application/apply-patch+yaml`). kube converts YAML to JSON with
 * sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 scalars: `yes`, `on` and `y` are booleans); we parse
 * with the same schema so that a body means what it means to kube-apiserver.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Node, type Tags } from 'yaml';

/** go-yaml v2 leaves timestamps and sexagesimal numbers as strings when the target is JSON. */
function goYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    const format = typeof t === 'string' ? undefined : t.format;
    return tag !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
  });
}

/** Thrown for text that is not YAML; `message` names the line. */
export class YamlSyntaxError extends Error {}

function duplicates(node: Node | null, path: string, out: string[]): void {
  if (isMap(node)) {
    const keys = new Set<string>();
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path === '' ? k : `${path}.${k}`;
      if (keys.has(k)) {
        if (!out.includes(child)) out.push(child);
      } else keys.add(k);
      duplicates(pair.value as Node | null, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => duplicates(item as Node | null, `${path}[${i}]`, out));
  }
}

/** The one document of `text` as JSON data, and the paths of duplicate keys. @throws YamlSyntaxError */
export function parseYaml(text: string): { value: unknown; duplicates: string[] } {
  const docs = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    merge: true,
    customTags: goYamlTags,
  });
  const real = docs.filter((d) => d.contents !== null);
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const line = err.linePos?.[0].line;
      throw new YamlSyntaxError(
        `error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ''}${err.message.split('\n')[0] ?? ''}`,
      );
    }
  }
  if (real.length > 1) {
    throw new YamlSyntaxError(
      'error converting YAML to JSON: the body holds more than one document',
    );
  }
  const doc = real[0];
  if (!doc) return { value: null, duplicates: [] };
  const dups: string[] = [];
  duplicates(doc.contents, '', dups);
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, duplicates: dups };
}
