// jit-agent's eslint preset: eslint-plugin-security's recommended rules, nothing else (style is
// the project's business, not the security scan's). Given with --config, so eslint reads no
// configuration from the scanned repository (flat config: no lookup, no .eslintignore).
import security from "eslint-plugin-security";
import tsParser from "@typescript-eslint/parser";

const recommended = security.configs.recommended;

export default [
  { ignores: ["**/node_modules/**", "**/*.min.js", "**/dist/**", "**/build/**", "**/vendor/**"] },
  {
    // Comments in scanned code that name rules we do not load must not become findings or noise.
    linterOptions: { reportUnusedDisableDirectives: "off" },
  },
  {
    files: ["**/*.{js,mjs,cjs,jsx}"],
    plugins: recommended.plugins,
    rules: recommended.rules,
    languageOptions: {
      ecmaVersion: "latest",
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
  },
  {
    // TypeScript needs its own parser (@typescript-eslint/parser, with typescript as its peer);
    // without it eslint would skip .ts files and the preset would pass them silently.
    files: ["**/*.{ts,tsx,mts,cts}"],
    plugins: recommended.plugins,
    rules: recommended.rules,
    languageOptions: {
      parser: tsParser,
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
  },
];
