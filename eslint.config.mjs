import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "next/link", message: "Use IntentLink (components/ui/intent-link.tsx): it prefetches on intent, not on sight." }],
          patterns: [{ group: ["@/server/*", "../server/*"], message: "components/ and lib/ never import from server/." }],
        },
      ],
    },
  },
  {
    // Only components/ and lib/ are barred from server/.
    files: ["app/**", "server/**", "e2e/**", "lab/**", "scripts/**", "test/**", "deploy/**", "examples/**", "*.ts", "*.mjs"],
    rules: { "no-restricted-imports": ["error", { paths: [{ name: "next/link", message: "Use IntentLink (components/ui/intent-link.tsx): it prefetches on intent, not on sight." }] }] },
  },
  {
    files: ["components/ui/intent-link.tsx"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Test helpers and lab scripts are not React code: `use*` names there are not hooks.
    files: ["e2e/**", "lab/**", "test/**", "**/*.test.ts", "scripts/**", "deploy/**"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  globalIgnores([".next/**", "node_modules/**", ".lab/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"]),
]);
