/**
 * Renders the panel's icon (`public/icon.svg`) into the PNG sizes phones and browsers ask for
 * (`icon-192.png`, `icon-512.png`, `apple-touch-icon.png` at 180 px, a maskable 512 px with the
 * safe-zone padding) and `favicon.ico` (16, 32 and 48 px PNGs in an ICO container), with the
 * chromium the browser tests use. Run after changing the SVG: `npx tsx scripts/render-icons.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";

const root = path.resolve(import.meta.dirname, "..");
const publicDir = path.join(root, "public");
const svg = readFileSync(path.join(publicDir, "icon.svg"), "utf8");

async function render(size: number, padding = 0, background = "transparent"): Promise<Buffer> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const inner = size - 2 * padding;
    const data = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    await page.setContent(
      `<html><body style="margin:0;background:${background}"><img src="${data}" width="${inner}" height="${inner}" style="display:block;margin:${padding}px"></body></html>`,
    );
    await page.locator("img").evaluate((img: HTMLImageElement) => img.decode());
    return await page.screenshot({ omitBackground: background === "transparent", clip: { x: 0, y: 0, width: size, height: size } });
  } finally {
    await browser.close();
  }
}

/** An ICO file holding PNG images (supported by every current browser). */
function ico(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const at = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, at);
    header.writeUInt8(size >= 256 ? 0 : size, at + 1);
    header.writeUInt8(0, at + 2);
    header.writeUInt8(0, at + 3);
    header.writeUInt16LE(1, at + 4);
    header.writeUInt16LE(32, at + 6);
    header.writeUInt32LE(png.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

async function main(): Promise<void> {
  const out: Array<[string, Buffer]> = [
    ["icon-192.png", await render(192)],
    ["icon-512.png", await render(512)],
    // Maskable: the launcher may crop to a circle, so the icon sits inside the 80 % safe zone on its own colour.
    ["icon-maskable-512.png", await render(512, 52, "#0f172a")],
    ["apple-touch-icon.png", await render(180, 0, "#0f172a")],
  ];
  const small = await Promise.all([16, 32, 48].map(async (size) => ({ size, png: await render(size) })));
  out.push(["favicon.ico", ico(small)]);
  for (const [name, data] of out) {
    writeFileSync(path.join(publicDir, name), data);
    console.log(`public/${name}: ${data.length} bytes`);
  }
}

void main();
