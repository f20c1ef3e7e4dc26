import { describe, expect, it } from "vitest";
import { createZip, readZip, ZipError } from "./zip";

describe("zip archives", () => {
  const files = [
    { name: "config.xml", data: Buffer.from("<Config>\n  <Port>8989</Port>\n</Config>".repeat(20)) },
    { name: "INFO", data: Buffer.from("v4\n") },
    { name: "Database/Users.json", data: Buffer.from("[]") },
    { name: "random.bin", data: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251)) },
  ];

  it("reads back what it writes, deflating only when that saves space", () => {
    const entries = readZip(createZip(files));
    expect(entries.map((e) => [e.name, e.data.toString("hex")])).toEqual(files.map((f) => [f.name, f.data.toString("hex")]));
    expect(entries.find((e) => e.name === "config.xml")?.method).toBe(8);
    expect(entries.find((e) => e.name === "INFO")?.method).toBe(0);
  });

  it("refuses data that is not an archive with SharpZipLib's message, and a damaged entry by its CRC", () => {
    expect(() => readZip(Buffer.from("definitely not a zip file"))).toThrow(new ZipError("Cannot find central directory", "format"));
    const zip = createZip([{ name: "a.txt", data: Buffer.from("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") }]);
    const stored = createZip([{ name: "b.txt", data: Buffer.from("xyz") }]);
    // Flip a byte of b.txt's stored data (after the 30-byte header and the 5-byte name).
    stored[35] = (stored[35] ?? 0) ^ 0xff;
    expect(() => readZip(stored)).toThrow(/CRC mismatch in b\.txt/);
    expect(readZip(zip)[0]?.data.toString()).toMatch(/^a+$/);
  });
});
