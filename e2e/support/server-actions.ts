import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";
import { E2E_BASE_URL, ROOT } from "./panel-env";

/** The id Next.js gave a server action in this build. */
export function serverActionId(filename: string, exportedName: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename?: string; exportedName?: string }>;
  };
  const entry = Object.entries(manifest.node).find(([, v]) => v.filename === filename && v.exportedName === exportedName);
  if (!entry) throw new Error(`server action ${filename}#${exportedName} is not in this build`);
  return entry[0];
}

/**
 * Calls a server action the way the browser does (POST with the Next-Action header), bypassing the UI,
 * to prove the server itself enforces the rules. Returns the raw response text.
 */
export async function callServerAction(
  request: APIRequestContext,
  pagePath: string,
  filename: string,
  exportedName: string,
  args: unknown[],
): Promise<{ status: number; text: string }> {
  const response = await request.post(pagePath, {
    headers: {
      "Next-Action": serverActionId(filename, exportedName),
      "Content-Type": "text/plain;charset=UTF-8",
      Accept: "text/x-component",
      Origin: E2E_BASE_URL,
    },
    data: JSON.stringify(args),
  });
  return { status: response.status(), text: await response.text() };
}
