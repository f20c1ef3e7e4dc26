import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  "server-only": path.resolve(import.meta.dirname, "test/server-only-stub.ts"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          server: { deps: { inline: ["next-auth", "@auth/core"] } },
          environment: "node",
          include: ["{lib,server,components,app,scripts,deploy,test,e2e,lab}/**/*.test.{ts,tsx}", "proxy.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          // Some unit tests run real servers and processes with timeouts: one retry absorbs a scheduling
          // hiccup on a loaded machine; a test that fails twice still fails, and the summary names it.
          retry: 1,
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          environment: "node",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**", ".next/**", ".lab/**"],
          globalSetup: ["lab/global-setup.ts"],
          fileParallelism: false,
          // Real processes and real timing: one retry absorbs a scheduling hiccup on a loaded 2-core
          // machine; a test that fails twice still fails the run (and retries show in the report).
          retry: 1,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
