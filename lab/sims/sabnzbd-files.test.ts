import { describe, expect, it } from "vitest";
import { parseIni, renderIni, section } from "./sabnzbd-files";

describe("sabnzbd.ini", () => {
  it("reads the file the fixture's init container writes, sections and all", () => {
    const ini = parseIni("[misc]\nhost_whitelist = a,b\nurl_base = /sabnzbd\n\n[folders]\ncomplete_dir = /data/usenet/complete\n");
    expect(section(ini, "misc").values.get("url_base")).toBe("/sabnzbd");
    expect(section(ini, "folders").values.get("complete_dir")).toBe("/data/usenet/complete");
  });

  it("round-trips top-level keys, sections and [[sub]] sections, quoting what needs it", () => {
    const text = '__version__ = 19\n[misc]\napi_key = abc\nhost_whitelist = "a, b"\nempty = ""\n[categories]\n[[*]]\nname = *\norder = 0\n[[tv]]\nname = tv\ndir = tv\n';
    const ini = parseIni(text);
    expect(ini.top.get("__version__")).toBe("19");
    expect(section(ini, "misc").values.get("host_whitelist")).toBe("a, b");
    expect([...section(ini, "categories").subs.keys()]).toEqual(["*", "tv"]);
    expect(renderIni(ini)).toBe(text);
    expect(renderIni(parseIni(renderIni(ini)))).toBe(text);
  });
});
