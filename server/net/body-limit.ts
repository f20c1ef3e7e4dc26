import "server-only";
import type { IncomingMessage } from "node:http";

/**
 * Every answer the panel reads from another program (an app, the forge, the Kubernetes API, git) is
 * read up to a ceiling, as it streams: past the ceiling the transfer is stopped and the caller gets
 * its own clear `AppError`. A misbehaving or hostile peer can then cost the panel at most this much
 * memory per request, never the container's whole limit. The panel's own reads are small (health,
 * settings, one object); the ceiling leaves a wide margin above the largest of them.
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** "8 MiB" for the messages. */
export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** Raised inside the readers below; callers turn it into their own `AppError`. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${describeBytes(limit)}`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a fetch `Response` body as text, at most `limit` bytes: a `Content-Length` above it is refused
 * before reading, and a body that grows past it is cancelled mid-stream (the connection is closed).
 * Rejects with {@link BodyTooLargeError}, or with the stream's own error (abort, reset).
 */
export async function readResponseText(response: Response, limit = MAX_RESPONSE_BYTES): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(limit);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/**
 * Collects a Node.js response at most `limit` bytes. Past it, `onTooLarge` runs once (the caller
 * destroys the request) and no more data is kept; `done` gets the body or the error.
 */
export function collectBody(res: IncomingMessage, limit: number, done: (error: BodyTooLargeError | undefined, body: Buffer) => void, onTooLarge: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.on("data", (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > limit) {
      over = true;
      chunks.length = 0;
      onTooLarge();
      done(new BodyTooLargeError(limit), Buffer.alloc(0));
      return;
    }
    chunks.push(c);
  });
  res.on("end", () => {
    if (!over) done(undefined, Buffer.concat(chunks));
  });
}
