import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { panelConfigSchema, parsePanelConfig } from "@/lib/config-schema";

const root = path.resolve(__dirname, "..");

/** Every leaf key path of the config schema, e.g. `kubernetes.namespaces`. */
function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  let inner: z.ZodType = schema;
  // Unwrap defaults, optionals and prefaults to reach the object.
  for (;;) {
    const def = (inner as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
    if ((def.type === "default" || def.type === "optional" || def.type === "prefault") && def.innerType) inner = def.innerType;
    else break;
  }
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      const children = keyPaths(v, p);
      return children.length > 0 ? children : [p];
    });
  }
  return [];
}

describe("documentation of the configuration", () => {
  it("the example file is a valid configuration", () => {
    const raw = parse(readFileSync(path.join(root, "docs", "panel.example.yaml"), "utf8"));
    const result = parsePanelConfig(raw);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("the README documents every key of the schema", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const keys = keyPaths(panelConfigSchema);
    expect(keys.length).toBeGreaterThan(20);
    const missing = keys.filter((k) => !readme.includes(`\`${k}\``) && !readme.includes(`${k}\``) && !readme.includes(`\`${k.split(".").slice(0, -1).join(".")}.`));
    expect(missing).toEqual([]);
  });
});
