import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "./diff";
import { FIXTURE_DIR, listFiles } from "./fixture-repo.test-helper";
import { checkEditable, roundTrip, YamlFileEditor } from "./yaml-file";

const yamlFiles = listFiles(FIXTURE_DIR).filter((f) => /\.ya?ml$/.test(f));
const read = (f: string) => readFileSync(path.join(FIXTURE_DIR, f), "utf8");

/** Lines added and removed by a diff, without headers. */
function changedLines(diff: string): { added: string[]; removed: string[] } {
  const lines = diff.split("\n").filter((l) => !l.startsWith("+++") && !l.startsWith("---"));
  return { added: lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1)), removed: lines.filter((l) => l.startsWith("-")).map((l) => l.slice(1)) };
}

describe("round trip over every YAML file of the user's repository (fixture)", () => {
  it("has the fixture", () => {
    expect(yamlFiles.length).toBeGreaterThan(80);
  });

  // Byte-identical, or listed as not editable with the reason.
  const notEditable: Record<string, string> = {};
  for (const file of yamlFiles) {
    it(file, () => {
      const text = read(file);
      const check = checkEditable(text);
      if (!check.editable) {
        notEditable[file] = check.reason;
        expect(check.reason).toMatch(/\w/);
        expect(() => new YamlFileEditor(file, text)).toThrow(new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
        return;
      }
      expect(roundTrip(text)).toBe(text);
      const editor = new YamlFileEditor(file, text);
      expect(editor.result()).toBe(text);
    });
  }

  it("every fixture file is editable (none had to be listed)", () => {
    expect(notEditable).toEqual({});
  });

  it("reports how many files whole-document re-serialisation would change (why edits are spliced)", () => {
    const changed = yamlFiles.filter((f) => {
      const text = read(f);
      return parseAllDocuments(text).map((d) => (d as { toString: (o: object) => string }).toString({ lineWidth: 0 })).join("") !== text;
    });
    // Comment alignment, flow padding, mixed sequence indentation, whitespace-only lines, trailing blank lines.
    expect(changed.length).toBeGreaterThan(20);
  });
});

describe("checkEditable", () => {
  it("refuses invalid YAML, CRLF files and says where", () => {
    expect(checkEditable("a: [1, 2\nb: 3\n")).toMatchObject({ editable: false, reason: expect.stringMatching(/line \d+/) });
    expect(checkEditable("a: 1\r\nb: 2\r\n")).toEqual({ editable: false, reason: "it uses Windows (CRLF) line endings" });
    expect(checkEditable("a: 1\na: 2\n")).toMatchObject({ editable: false, reason: expect.stringContaining("DUPLICATE_KEY") });
    expect(checkEditable("a: 1\n")).toEqual({ editable: true });
  });
});

describe("YamlFileEditor", () => {
  it("adds probes to the jellyfin container: only the new lines change, comments and quoting intact", () => {
    const file = "apps/media-services/jellyfin/deployment.yaml";
    const text = read(file);
    const editor = new YamlFileEditor(file, text);
    editor.addPairs(0, ["spec", "template", "spec", "containers", 0], { livenessProbe: { httpGet: { path: "/health", port: 8096 }, periodSeconds: 30 } });
    const after = editor.result();
    const { added, removed } = changedLines(unifiedDiff({ path: file, before: text, after }));
    expect(removed).toEqual([]);
    expect(added).toEqual(["        livenessProbe:", "          httpGet:", "            path: /health", "            port: 8096", "          periodSeconds: 30"]);
    // Everything else, including the init script with its whitespace-only lines, is untouched.
    expect(after.replace(added.map((l) => `${l}\n`).join(""), "")).toBe(text);
    const value = parse(after.split("\n---\n")[0] ?? "") as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    expect(value.spec.template.spec.containers[0]?.livenessProbe).toEqual({ httpGet: { path: "/health", port: 8096 }, periodSeconds: 30 });
  });

  it("follows the file's sequence indentation", () => {
    const indented = "a:\n  list:\n    - one\n";
    const e1 = new YamlFileEditor("i.yaml", indented);
    e1.appendItem(0, ["a", "list"], "two");
    expect(e1.result()).toBe("a:\n  list:\n    - one\n    - two\n");
    const flush = "a:\n  list:\n  - one\nb: 1\n";
    const e2 = new YamlFileEditor("f.yaml", flush);
    e2.addPairs(0, ["a"], { more: ["x", "y"] });
    expect(e2.result()).toBe("a:\n  list:\n  - one\n  more:\n  - x\n  - y\nb: 1\n");
  });

  it("keeps blank lines after a collection below the insertion", () => {
    const text = "resources:\n- a.yaml\n\n# trailing comment\n";
    const e = new YamlFileEditor("k.yaml", text);
    e.appendItem(0, ["resources"], "b.yaml");
    expect(e.result()).toBe("resources:\n- a.yaml\n- b.yaml\n\n# trailing comment\n");
  });

  it("replaces a value in place and refuses unsafe targets", () => {
    const text = "env:\n- name: A\n  valueFrom:\n    configMapKeyRef: {name: c, key: k}\n- name: B  # keep\n  value: \"x\"\n";
    const e = new YamlFileEditor("e.yaml", text);
    e.setValue(0, ["env", 0], { name: "A", value: "http://a:1/base" });
    e.setValue(0, ["env", 1, "value"], "y");
    expect(e.result()).toBe("env:\n- name: A\n  value: http://a:1/base\n- name: B  # keep\n  value: y\n");
    const flow = new YamlFileEditor("f.yaml", "a: {b: 1}\n");
    expect(() => flow.addPairs(0, ["a"], { c: 2 })).toThrow(expect.objectContaining({ code: "conflict", source: "gitops" }));
    expect(() => flow.addPairs(0, [], { a: 2 })).toThrow(/already exists/);
  });

  it("edits YAML embedded in a literal block (prometheus.yml in a ConfigMap)", () => {
    const file = "apps/infrastructure/monitoring/prometheus-configmap.yaml";
    const text = read(file);
    const editor = new YamlFileEditor(file, text);
    editor.editEmbedded(0, ["data", "prometheus.yml"], (inner) =>
      inner.appendItem(0, ["scrape_configs"], { job_name: "panel", static_configs: [{ targets: ["panel:80"] }] }, "the panel"),
    );
    const after = editor.result();
    const { added, removed } = changedLines(unifiedDiff({ path: file, before: text, after }));
    expect(removed).toEqual([]);
    expect(added).toEqual(["      # the panel", "      - job_name: panel", "        static_configs:", "        - targets:", "          - panel:80"]);
    const inner = parse((parse(after) as { data: Record<string, string> }).data["prometheus.yml"] ?? "") as { scrape_configs: Array<{ job_name: string }> };
    expect(inner.scrape_configs.map((j) => j.job_name).at(-1)).toBe("panel");
  });

  it("removes one document of a multi-document file and returns it", () => {
    const file = "apps/media-services/starr/unpackerr-deployment.yaml";
    const text = read(file);
    const editor = new YamlFileEditor(file, text);
    const moved = editor.removeDocument(1);
    const after = editor.result();
    expect(moved).toMatch(/^apiVersion: v1\nkind: Secret\n/);
    expect(moved).toContain('SONARR_API_KEY: ""     # Base64 encoded API key');
    expect(after + "---\n" + moved).toBe(text);
  });

  it("refuses to add a key twice and keeps the first edit", () => {
    const e = new YamlFileEditor("d.yaml", "a:\n  b: 1\n");
    e.addPairs(0, ["a"], { c: 1 });
    expect(() => e.addPairs(0, ["a"], { b: 2 })).toThrow(/already exists/);
    expect(e.result()).toBe("a:\n  b: 1\n  c: 1\n");
  });
});
