import type { Language, Node } from 'web-tree-sitter';

/** Small helpers over tree-sitter nodes shared by the language analysers. */

export function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

export function allKids(node: Node): Node[] {
  return node.children.filter((c): c is Node => c !== null);
}

const fieldIds = new WeakMap<Language, Map<string, number | null>>();

/** A child by field name; field ids are looked up once per language (childForFieldName searches each time). */
export function field(node: Node, name: string): Node | null {
  const language = node.tree.language;
  let ids = fieldIds.get(language);
  if (!ids) {
    ids = new Map();
    fieldIds.set(language, ids);
  }
  let id = ids.get(name);
  if (id === undefined) {
    id = language.fieldIdForName(name);
    ids.set(name, id);
  }
  return id === null ? null : node.childForFieldId(id);
}

/** Depth-first walk with a cursor; `visit` returns false to skip a subtree. */
export function walk(root: Node, visit: (node: Node) => boolean | void): void {
  const cursor = root.walk();
  try {
    let descend = true;
    for (;;) {
      if (descend) {
        const keep = visit(cursor.currentNode);
        if (keep !== false && cursor.gotoFirstChild()) continue;
      }
      if (cursor.gotoNextSibling()) {
        descend = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descend = false;
      if (cursor.currentNode.id === root.id) break;
    }
  } finally {
    cursor.delete();
  }
}

export function contains(outer: Node, inner: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** The string value of a string literal node, or undefined. */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') {
    const t = node.text;
    if (t.length >= 2) return t.slice(1, -1);
  }
  if (node.type === 'template_string' && !node.text.includes('${')) return node.text.slice(1, -1);
  return undefined;
}

export function identifiersIn(node: Node, out: Set<string> = new Set()): Set<string> {
  walk(node, (n) => {
    // Destructured bindings (`({ name }) =>`, `const { id } = item`) name their variables too.
    if (n.type === 'identifier' || n.type === 'shorthand_property_identifier' || n.type === 'shorthand_property_identifier_pattern') out.add(n.text);
  });
  return out;
}

/** The first named child, without materialising the others. */
export function firstKid(node: Node): Node | undefined {
  return node.namedChild(0) ?? undefined;
}

/** Remembers a function's answer per node (by id) for the life of one analysis. */
export function perNode<T>(compute: (node: Node) => T): (node: Node) => T {
  const memo = new Map<number, T>();
  return (node) => {
    if (memo.has(node.id)) return memo.get(node.id)!;
    const value = compute(node);
    memo.set(node.id, value);
    return value;
  };
}

/** Properly nested nodes sorted by position, to find the innermost one around another node. */
export class RangeIndex {
  private readonly nodes: Node[];
  private readonly parent: number[] = [];

  constructor(nodes: Node[]) {
    this.nodes = [...nodes].sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
    const stack: number[] = [];
    this.nodes.forEach((node, i) => {
      while (stack.length > 0 && this.nodes[stack[stack.length - 1]!]!.endIndex < node.endIndex) stack.pop();
      this.parent.push(stack.length > 0 ? stack[stack.length - 1]! : -1);
      stack.push(i);
    });
  }

  /** The innermost node that contains `n` (not `n` itself), or undefined. */
  innermost(n: Node): Node | undefined {
    const start = n.startIndex;
    const end = n.endIndex;
    let lo = 0;
    let hi = this.nodes.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid]!.startIndex <= start) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let i = at; i !== -1; i = this.parent[i]!) {
      const candidate = this.nodes[i]!;
      if (candidate.endIndex >= end && candidate.id !== n.id && !(candidate.startIndex === start && candidate.endIndex === end)) return candidate;
    }
    return undefined;
  }
}

/** A name as a whole word of JavaScript (not inside a longer identifier), every occurrence. */
export function wordPattern(name: string): RegExp {
  return new RegExp(`(?<![\\w$])${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(?![\\w$])`, 'g');
}
