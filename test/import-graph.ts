import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The import graph of the source tree, read from the files themselves: every `import ... from`,
 * `import type ... from`, `export ... from` and `import("...")` whose specifier is relative or
 * starts with `@/` (the repository root), resolved to a file (`.ts`, `.tsx`, `/index.ts`). Package
 * imports are kept as specifiers. Type-only imports count: a cycle of types is still two folders
 * that need each other.
 */

/** Every `.ts`/`.tsx` file under `dir`, without node_modules and dot folders. */
export function sourceFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(full).isDirectory()) return sourceFilesUnder(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

/** True for a test or a test helper (not part of the panel's code). */
export function isTestFile(file: string): boolean {
  return /\.test\.tsx?$|\.test-helper\.ts$|[/\\]test-fixture\.ts$/.test(file);
}

const SPECIFIERS = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The specifiers a source text imports. */
export function importSpecifiers(text: string): string[] {
  return [...text.matchAll(SPECIFIERS)].map((m) => m[1] ?? m[2] ?? "").filter((s) => s !== "");
}

/** The file a specifier names (relative to `from`, or `@/` from `root`), or undefined for a package. */
export function resolveImport(root: string, from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith("@/")) base = path.join(root, specifier.slice(2));
  else if (specifier.startsWith(".")) base = path.resolve(path.dirname(from), specifier);
  else return undefined;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return base;
}

/** File -> the files it imports (resolved; unresolvable local imports keep their would-be path). */
export type ImportGraph = Map<string, string[]>;

export function importGraph(root: string, files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(file, "utf8"))
      .map((s) => resolveImport(root, file, s))
      .filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The import cycles of a graph (its strongly connected components with more than one file, or a
 * file importing itself), each as a sorted list of files; edges to files outside the graph are
 * ignored. Tarjan's algorithm, iterative so a deep tree cannot overflow the stack.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const edges = (v: string) => (graph.get(v) ?? []).filter((w) => graph.has(w));
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { v: string; i: number };
      const out = edges(frame.v);
      if (frame.i < out.length) {
        const w = out[frame.i++] as string;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v) ?? 0, index.get(w) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) ?? 0, low.get(frame.v) ?? 0));
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1 || edges(frame.v).includes(frame.v)) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}
