import { describe, expect, it } from "vitest";
import { multipartBoundary, parseMultipart } from "./multipart";

describe("multipart/form-data", () => {
  it("reads the parts a browser's FormData sends, binary files intact", async () => {
    const form = new FormData();
    form.append("apikey", "k123");
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]);
    form.append("restore", new Blob([bytes]), "sonarr_backup.zip");
    const req = new Request("http://x/", { method: "POST", body: form });
    const boundary = multipartBoundary(req.headers.get("content-type") ?? undefined);
    expect(boundary).toBeDefined();
    const parts = parseMultipart(Buffer.from(await req.arrayBuffer()), boundary ?? "");
    expect(parts.map((p) => [p.name, p.filename])).toEqual([
      ["apikey", undefined],
      ["restore", "sonarr_backup.zip"],
    ]);
    expect(parts[0]?.data.toString()).toBe("k123");
    expect(parts[1]?.data.equals(bytes)).toBe(true);
  });

  it("knows only multipart content types, and gives no parts for a body without the boundary", () => {
    expect(multipartBoundary("application/json")).toBeUndefined();
    expect(multipartBoundary('multipart/form-data; boundary="abc def"')).toBe("abc def");
    expect(parseMultipart(Buffer.from("just text"), "abc")).toEqual([]);
  });
});
