// Graph checks of a template's step DAG. Pure; used by template validation on both orchestration and workers.

/** A step as the graph sees it: its name and the names it depends on (parents). */
export interface GraphNode {
  name: string;
  dependencies: readonly string[];
}

/**
 * Finds one dependency cycle, returned as the path of step names that closes it (`['a', 'b', 'c', 'a']`:
 * a depends on b, b on c, c on a), or `null` for a DAG. Unknown dependency names are ignored here (validation
 * reports them separately). Iterative DFS so a long chain cannot overflow the stack.
 */
export function findDependencyCycle(nodes: readonly GraphNode[]): string[] | null {
  const deps = new Map<string, readonly string[]>();
  for (const node of nodes) if (!deps.has(node.name)) deps.set(node.name, node.dependencies);

  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>();
  for (const name of deps.keys()) color.set(name, WHITE);

  for (const start of deps.keys()) {
    if (color.get(start) !== WHITE) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    color.set(start, GREY);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { name: string; next: number };
      const children = deps.get(frame.name) ?? [];
      if (frame.next >= children.length) {
        color.set(frame.name, BLACK);
        stack.pop();
        continue;
      }
      const child = children[frame.next] as string;
      frame.next += 1;
      const c = color.get(child);
      if (c === undefined || c === BLACK) continue;
      if (c === GREY) {
        const from = stack.findIndex((f) => f.name === child);
        return [...stack.slice(from).map((f) => f.name), child];
      }
      color.set(child, GREY);
      stack.push({ name: child, next: 0 });
    }
  }
  return null;
}

/** Step names in an order where every step comes after all of its dependencies (input order kept among peers). */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const remaining = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const node of nodes) {
    remaining.set(node.name, node.dependencies.length);
    for (const dep of node.dependencies) {
      const list = children.get(dep) ?? [];
      list.push(node.name);
      children.set(dep, list);
    }
  }
  const order: string[] = [];
  const queue = nodes.filter((n) => n.dependencies.length === 0).map((n) => n.name);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    order.push(name);
    for (const child of children.get(name) ?? []) {
      const left = (remaining.get(child) ?? 0) - 1;
      remaining.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  return order;
}
