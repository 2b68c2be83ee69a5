#!/usr/bin/env bash
# Installs the scanners the external-control presets use that Debian does not package: eslint
# with eslint-plugin-security, the TypeScript parser and the SARIF formatter, pinned in
# tools/eslint/package.json, into DIR/eslint (DIR is the agent's JIT_TOOLS_DIR).
# npm uses whatever registry it is configured with. Idempotent: nothing is downloaded when the
# installed versions already match package.json.
# (bandit, flawfinder and shellcheck come from Debian: apt-get install bandit flawfinder shellcheck)
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: $0 DIR   (installs DIR/eslint)" >&2
  exit 2
fi
dir=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/eslint"
dest="$dir/eslint"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is not installed (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# Exit 0 when every dependency in package.json is installed in $dest at exactly its version.
installed_matches() {
  node - "$src/package.json" "$dest" <<'JS'
const fs = require("fs"), path = require("path");
const [pkgFile, dest] = process.argv.slice(2);
const deps = JSON.parse(fs.readFileSync(pkgFile, "utf8")).dependencies || {};
for (const [name, version] of Object.entries(deps)) {
  const file = path.join(dest, "node_modules", name, "package.json");
  let installed;
  try { installed = JSON.parse(fs.readFileSync(file, "utf8")).version; } catch { process.exit(1); }
  if (installed !== version) { console.error(`${name}: ${installed} installed, ${version} wanted`); process.exit(1); }
}
JS
}

mkdir -p "$dest"
if installed_matches 2>/dev/null; then
  cp "$src/eslint.config.mjs" "$dest/eslint.config.mjs"
  echo "eslint tools in $dest are up to date"
  exit 0
fi
cp "$src/package.json" "$src/eslint.config.mjs" "$dest/"
(cd "$dest" && npm install --omit=dev --no-package-lock --no-audit --no-fund)
if ! installed_matches; then
  echo "$0: npm install in $dest did not install the pinned versions" >&2
  exit 1
fi
echo "installed eslint tools in $dest"
