import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLargeError, collectBody, describeBytes, readResponseText } from "./body-limit";

/**
 * The readers stop a body at the ceiling while it streams: a peer sending 50 MiB (with or without a
 * Content-Length) costs the reader the ceiling, not the body, and its connection is closed early.
 */

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Serves `bytes` bytes of "x" in 64 KiB chunks; records how many it could write before the client left. */
async function bigServer(bytes: number, declareLength: boolean): Promise<{ url: string; written: () => number }> {
  let written = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", ...(declareLength ? { "content-length": String(bytes) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, "x");
    let closed = false;
    res.on("close", () => (closed = true));
    const pump = (): void => {
      while (!closed && written < bytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written));
        written += piece.length;
        if (!res.write(piece)) {
          res.once("drain", pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, written: () => written };
}

const MiB = 1024 * 1024;

describe("readResponseText", () => {
  it("reads a body under the ceiling whole", async () => {
    const s = await bigServer(100_000, false);
    expect((await readResponseText(await fetch(s.url), MiB)).length).toBe(100_000);
  });

  it("refuses a 50 MiB body streamed without a length once past the ceiling, and the server stops early", async () => {
    const s = await bigServer(50 * MiB, false);
    const heapBefore = process.memoryUsage().heapUsed;
    const error = await readResponseText(await fetch(s.url), 4 * MiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).message).toBe("the answer is larger than 4 MiB");
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * MiB);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.written()).toBeLessThan(20 * MiB);
  });

  it("refuses a declared Content-Length above the ceiling before reading", async () => {
    const s = await bigServer(50 * MiB, true);
    await expect(readResponseText(await fetch(s.url), 4 * MiB)).rejects.toBeInstanceOf(BodyTooLargeError);
  });
});

describe("collectBody", () => {
  it("stops a Node.js response at the ceiling and lets the caller close the request", async () => {
    const s = await bigServer(50 * MiB, false);
    const result = await new Promise<{ error?: BodyTooLargeError; size: number }>((resolve) => {
      const req = get(s.url, (res) => collectBody(res, 2 * MiB, (error, body) => resolve({ ...(error ? { error } : {}), size: body.length }), () => req.destroy()));
    });
    expect(result.error).toBeInstanceOf(BodyTooLargeError);
    expect(result.size).toBe(0);
  });

  it("gives a small body whole", async () => {
    const s = await bigServer(1000, true);
    const size = await new Promise<number>((resolve) => {
      get(s.url, (res) => collectBody(res, MiB, (_e, body) => resolve(body.length), () => undefined));
    });
    expect(size).toBe(1000);
  });
});

describe("describeBytes", () => {
  it("says sizes the way people read them", () => {
    expect([describeBytes(8 * MiB), describeBytes(1536), describeBytes(12)]).toEqual(["8 MiB", "2 KiB", "12 bytes"]);
  });
});
