import { describe, expect, it } from "vitest";
import { describeDiff, diffFields, MASKED, normalizeHost, normalizeUrl } from "./diff";

describe("normalisation", () => {
  it("treats every spelling of one Service as the same host", () => {
    for (const h of ["qbittorrent.qbittorrent", "qbittorrent.qbittorrent.svc", "QBITTORRENT.qbittorrent.svc.cluster.local.", "qbittorrent.qbittorrent.svc.cluster.local"]) {
      expect(normalizeHost(h)).toBe("qbittorrent.qbittorrent");
    }
    expect(normalizeHost("sonarr", "media")).toBe("sonarr.media");
    expect(normalizeHost("sonarr")).toBe("sonarr");
    expect(normalizeHost("10.0.0.5")).toBe("10.0.0.5");
    expect(normalizeHost("nas.example.com")).toBe("nas.example.com");
  });

  it("URL bases and URLs", () => {
    expect(normalizeUrl("http://sonarr.media.svc.cluster.local:8989/sonarr/")).toBe(normalizeUrl("http://sonarr.media:8989/sonarr"));
    expect(normalizeUrl("http://sonarr.media/sonarr")).not.toBe(normalizeUrl("http://sonarr.media:8989/sonarr"));
    expect(normalizeUrl("not a url")).toBe("not a url");
  });
});

describe("diffFields", () => {
  const desired = [
    { field: "host", label: "Host", value: "qbittorrent.qbittorrent.svc.cluster.local", compare: "host" as const },
    { field: "port", label: "Port", value: 8080 },
    { field: "urlBase", label: "URL base", value: "", compare: "path" as const },
    { field: "tvCategory", label: "Category", value: "tv" },
    { field: "password", label: "Password", value: "s3cret-value", secret: true },
  ];

  it("finds nothing when the values mean the same", () => {
    expect(diffFields(desired, { host: "qbittorrent.qbittorrent", port: "8080", urlBase: "/", tvCategory: "tv", password: MASKED })).toEqual([]);
  });

  it("names each differing field with current and desired values", () => {
    const diff = diffFields(desired, { host: "qbittorrent", port: 9091, urlBase: null, tvCategory: "tv-sonarr", password: MASKED }, { namespace: "media" });
    expect(diff).toEqual([
      { field: "host", label: "Host", current: "qbittorrent", desired: "qbittorrent.qbittorrent.svc.cluster.local" },
      { field: "port", label: "Port", current: "9091", desired: "8080" },
      { field: "tvCategory", label: "Category", current: "tv-sonarr", desired: "tv" },
    ]);
    expect(describeDiff(diff)).toBe("host qbittorrent -> qbittorrent.qbittorrent.svc.cluster.local, port 9091 -> 8080, category tv-sonarr -> tv");
  });

  it("never carries a secret value: unset and differing secrets are words", () => {
    const unset = diffFields(desired, { host: "qbittorrent.qbittorrent", port: 8080, tvCategory: "tv" });
    expect(unset).toEqual([{ field: "password", label: "Password", current: "not set", desired: "set", secret: true }]);
    const differs = diffFields(desired, { host: "qbittorrent.qbittorrent", port: 8080, tvCategory: "tv", password: "old-value" });
    expect(differs).toEqual([{ field: "password", label: "Password", current: "differs", desired: "the configured value", secret: true }]);
    expect(JSON.stringify(differs)).not.toContain("s3cret-value");
    expect(JSON.stringify(differs)).not.toContain("old-value");
  });

  it("compares a secret returned in clear with the value the panel holds; masked or unknown ones are left to the app's test", () => {
    const base = { host: "qbittorrent.qbittorrent", port: 8080, tvCategory: "tv" };
    expect(diffFields(desired, { ...base, password: "s3cret-value" })).toEqual([]);
    expect(diffFields(desired, { ...base, password: MASKED })).toEqual([]);
    const unknown = desired.map((d) => (d.secret ? { ...d, value: "" } : d));
    expect(diffFields(unknown, { ...base, password: "whatever-it-holds" })).toEqual([]);
    expect(diffFields(unknown, base)).toEqual([{ field: "password", label: "Password", current: "not set", desired: "set", secret: true }]);
  });

  it("compares lists regardless of order", () => {
    const d = [{ field: "syncCategories", label: "Categories", value: [5000, 5030], compare: "list" as const }];
    expect(diffFields(d, { syncCategories: [5030, 5000] })).toEqual([]);
    expect(diffFields(d, { syncCategories: [5000] })).toHaveLength(1);
  });
});
