import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./keyed-mutex";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyedMutex", () => {
  it("runs work on one key one at a time, in order, and other keys side by side", async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string) =>
      m.run(key, async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([job("sonarr", "a"), job("sonarr", "b"), job("radarr", "c")]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(log.indexOf("end a")).toBeLessThan(log.indexOf("start b"));
    expect(log.indexOf("start c")).toBeLessThan(log.indexOf("end a"));
    expect(m.size).toBe(0);
  });

  it("releases the key when the work throws", async () => {
    const m = new KeyedMutex();
    await expect(m.run("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(m.run("k", () => Promise.resolve(1))).resolves.toBe(1);
  });
});
