// docs/configuration.md cannot drift from the schema: every key the zod schema accepts has a row in its tables,
// and every row names a key the schema still has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

/** The slice of zod 4's internal definition the walk reads. */
interface Node {
  _zod: { def: { type: string; innerType?: Node; shape?: Record<string, Node>; valueType?: Node; options?: Node[]; discriminator?: string } };
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

function unwrap(node: Node): Node {
  let n = node;
  while (WRAPPERS.has(n._zod.def.type)) n = n._zod.def.innerType!;
  return n;
}

function isBranch(node: Node): boolean {
  const def = unwrap(node)._zod.def;
  return def.type === 'object' || (def.type === 'union' && def.discriminator !== undefined);
}

/**
 * Every key path the schema accepts, a record's key written `*` (`devices.*.port.path`). Leaves must be documented;
 * sections (objects) may be. A discriminated union (the device kinds) contributes the keys of every member.
 */
function keyPaths(node: Node, path: string[], out: { leaves: Set<string>; sections: Set<string> }): void {
  const def = unwrap(node)._zod.def;
  if (def.type === 'object') {
    if (path.length > 0) out.sections.add(path.join('.'));
    for (const [key, child] of Object.entries(def.shape!)) keyPaths(child, [...path, key], out);
  } else if (def.type === 'union' && def.discriminator !== undefined) {
    for (const member of def.options!) keyPaths(member, path, out);
  } else if (def.type === 'record' && isBranch(def.valueType!)) {
    out.sections.add(path.join('.'));
    keyPaths(def.valueType!, [...path, '*'], out);
  } else {
    out.leaves.add(path.join('.'));
  }
}

/** The first cell of every table row that starts with a backticked key, `<id>`-style placeholders as `*`. */
function documentedKeys(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const m of markdown.matchAll(/^\| `([^`]+)` \|/gm)) keys.add(m[1]!.replace(/<[^>]+>/g, '*'));
  return keys;
}

describe('docs/configuration.md', () => {
  const schema = { leaves: new Set<string>(), sections: new Set<string>() };
  keyPaths(configSchema as unknown as Node, [], schema);
  const documented = documentedKeys(DOC);

  it('walks the whole schema (the walk itself is not vacuous)', () => {
    expect(schema.leaves.size).toBeGreaterThan(70);
    for (const key of ['lab', 'api.retry.base_ms', 'devices.*.port.usb.vendor_id', 'devices.*.lines.dtr', 'stations.*.properties.*.min_load', 'stations.*.protocol'])
      expect(schema.leaves, key).toContain(key);
    expect(schema.sections).toContain('stations.*.properties');
  });

  it('documents every key the schema accepts', () => {
    expect([...schema.leaves].filter((k) => !documented.has(k)).sort()).toEqual([]);
  });

  it('documents no key the schema does not have', () => {
    expect([...documented].filter((k) => !schema.leaves.has(k) && !schema.sections.has(k)).sort()).toEqual([]);
  });
});
