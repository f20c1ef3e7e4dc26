import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown, titleOf, type Block } from "./markdown";

describe("the runbook Markdown parser", () => {
  it("reads headings (with unique ids), paragraphs, code fences and rules", () => {
    const blocks = parseMarkdown("# Service down\n\nSome *text*\nwrapped.\n\n## Checks\n\n```sh\nkubectl -n media get pods\n  indented\n```\n\n---\n\n## Checks\n");
    expect(blocks.map((b) => b.t)).toEqual(["heading", "paragraph", "heading", "code", "hr", "heading"]);
    expect(blocks[0]).toMatchObject({ t: "heading", level: 1, id: "service-down" });
    expect(blocks[3]).toEqual({ t: "code", lang: "sh", v: "kubectl -n media get pods\n  indented" });
    expect((blocks[5] as Extract<Block, { t: "heading" }>).id).toBe("checks-1");
    expect(titleOf(blocks)).toBe("Service down");
  });

  it("reads nested lists, ordered lists with their start, and items with code", () => {
    const blocks = parseMarkdown("1. First\n2. Second\n   - nested a\n   - nested b\n3. Third\n\n   ```\n   code in item\n   ```\n\n- after");
    const list = blocks[0] as Extract<Block, { t: "list" }>;
    expect(list).toMatchObject({ t: "list", ordered: true, start: 1 });
    expect(list.items).toHaveLength(3);
    expect(list.items[1]?.[1]).toMatchObject({ t: "list", ordered: false });
    expect((list.items[1]?.[1] as Extract<Block, { t: "list" }>).items).toHaveLength(2);
    expect(list.items[2]?.[1]).toEqual({ t: "code", lang: "", v: "code in item" });
    expect(blocks[1]).toMatchObject({ t: "list", ordered: false });
  });

  it("reads tables and quotes", () => {
    const blocks = parseMarkdown("| a | b |\n|:--|--:|\n| `x\\|y` | **z** |\n\n> quoted\n> more");
    expect(blocks[0]).toMatchObject({ t: "table", align: ["left", "right"] });
    const table = blocks[0] as Extract<Block, { t: "table" }>;
    expect(table.rows[0]?.[0]).toEqual([{ t: "code", v: "x|y" }]);
    expect(blocks[1]).toMatchObject({ t: "quote", c: [{ t: "paragraph" }] });
  });

  it("keeps raw HTML as text (it is never inserted as markup)", () => {
    const blocks = parseMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    expect(blocks).toEqual([
      { t: "paragraph", c: [{ t: "text", v: "<script>alert(1)</script>" }] },
      { t: "paragraph", c: [{ t: "text", v: '<img src=x onerror="alert(2)">' }] },
    ]);
  });

  it("reads inline code, strong, emphasis, links and autolinks, and leaves snake_case alone", () => {
    expect(parseInline("run `kubectl get pods` **now** or *later*: [the docs](https://example.com/x) <https://a.example>")).toEqual([
      { t: "text", v: "run " },
      { t: "code", v: "kubectl get pods" },
      { t: "text", v: " " },
      { t: "strong", c: [{ t: "text", v: "now" }] },
      { t: "text", v: " or " },
      { t: "em", c: [{ t: "text", v: "later" }] },
      { t: "text", v: ": " },
      { t: "link", href: "https://example.com/x", c: [{ t: "text", v: "the docs" }] },
      { t: "text", v: " " },
      { t: "link", href: "https://a.example", c: [{ t: "text", v: "https://a.example" }] },
    ]);
    expect(parseInline("panel_service_up and kubelet_volume_stats_used_bytes")).toEqual([{ t: "text", v: "panel_service_up and kubelet_volume_stats_used_bytes" }]);
    expect(parseInline("\\*not em\\*")).toEqual([{ t: "text", v: "*not em*" }]);
  });
});
