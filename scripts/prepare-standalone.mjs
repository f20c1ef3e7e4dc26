// Copies the static assets, public/ and the shipped runbooks into the standalone output, which `next build` leaves out.
import { cpSync, existsSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const standalone = `${root}.next/standalone`;
if (!existsSync(`${standalone}/server.js`)) {
  console.error("No standalone build found: run `npm run build` first.");
  process.exit(1);
}
rmSync(`${standalone}/.next/static`, { recursive: true, force: true });
cpSync(`${root}.next/static`, `${standalone}/.next/static`, { recursive: true });
if (existsSync(`${root}public`)) cpSync(`${root}public`, `${standalone}/public`, { recursive: true });
// The runbooks the panel ships and serves (server/runbooks.ts reads docs/runbooks from its working directory).
rmSync(`${standalone}/docs/runbooks`, { recursive: true, force: true });
cpSync(`${root}docs/runbooks`, `${standalone}/docs/runbooks`, { recursive: true });
console.log("standalone output ready: .next/standalone/server.js");
