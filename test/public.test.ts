import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPublicPath, PUBLIC_FILES } from "@/lib/security-headers";

const root = path.resolve(__dirname, "..");
const publicDir = path.join(root, "public");

describe("public/ (icons and the web app manifest)", () => {
  it("every file there is served without a session, and the list names only files that exist", () => {
    const files = readdirSync(publicDir).map((f) => `/${f}`);
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => !isPublicPath(f))).toEqual([]);
    expect(PUBLIC_FILES.filter((f) => !files.includes(f))).toEqual([]);
  });

  it("the manifest is installable: name, start URL, standalone display, 192 and 512 px icons that exist", () => {
    const manifest = JSON.parse(readFileSync(path.join(publicDir, "manifest.webmanifest"), "utf8")) as {
      name?: string;
      short_name?: string;
      start_url?: string;
      display?: string;
      icons?: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
    };
    expect(manifest).toMatchObject({ name: "k8s-nas-panel", start_url: "/", display: "standalone" });
    expect(manifest.short_name?.length).toBeLessThanOrEqual(12);
    const icons = manifest.icons ?? [];
    for (const size of ["192x192", "512x512"]) expect(icons.some((i) => i.sizes === size && i.type === "image/png" && i.purpose === undefined)).toBe(true);
    expect(icons.some((i) => i.purpose === "maskable")).toBe(true);
    for (const icon of icons) expect([icon.src, existsSync(path.join(publicDir, icon.src))]).toEqual([icon.src, true]);
  });

  it("the PNG icons have the sizes they claim", () => {
    const size = (file: string) => {
      const png = readFileSync(path.join(publicDir, file));
      expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
      return [png.readUInt32BE(16), png.readUInt32BE(20)];
    };
    expect(size("icon-192.png")).toEqual([192, 192]);
    expect(size("icon-512.png")).toEqual([512, 512]);
    expect(size("icon-maskable-512.png")).toEqual([512, 512]);
    expect(size("apple-touch-icon.png")).toEqual([180, 180]);
    const ico = readFileSync(path.join(publicDir, "favicon.ico"));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 3]);
  });

  it("the root layout's metadata links the manifest and the icons", () => {
    const layout = readFileSync(path.join(root, "app", "layout.tsx"), "utf8");
    for (const file of ["/manifest.webmanifest", "/favicon.ico", "/icon.svg", "/apple-touch-icon.png"]) expect(layout).toContain(`"${file}"`);
  });
});
