#!/usr/bin/env bash
# Proves the published artifact, not the work tree: packs the package, installs the tarball into a
# throwaway project (dependencies come from the registry), and loads every entry of its exports map
# with `import` and with `require`, checking that both copies share one global state.
#
# Usage: scripts/smoke-pack.sh [node-binary ...]   (default: the `node` on PATH; needs a fresh build)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
checks="$root/scripts/smoke-pack"
nodes=("$@")
if [ ${#nodes[@]} -eq 0 ]; then nodes=(node); fi

if [ ! -f dist/index.js ] || [ ! -f dist/index.cjs ]; then
  echo "smoke-pack: dist/ is missing; run \`npm run build\` first" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sightline-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "smoke-pack: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) files)"

app="$work/app"
mkdir "$app"
printf '{ "name": "sightline-smoke", "version": "0.0.0", "private": true }\n' >"$app/package.json"
cp "$checks/esm-check.mjs" "$checks/cjs-check.cjs" "$app/"
if ! (cd "$app" && npm install --no-audit --no-fund --loglevel=error "$tarball" >"$work/install.log" 2>&1); then
  cat "$work/install.log" >&2
  echo "smoke-pack: npm install of the tarball failed" >&2
  exit 1
fi

status=0
for node in "${nodes[@]}"; do
  version=$("$node" -v)
  for check in esm-check.mjs cjs-check.cjs; do
    if (cd "$app" && "$node" "$check"); then
      echo "smoke-pack: $check passed on Node $version"
    else
      echo "smoke-pack: $check FAILED on Node $version" >&2
      status=1
    fi
  done
done
exit $status
