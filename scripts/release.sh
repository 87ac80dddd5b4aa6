#!/usr/bin/env bash
# `npm run release`: builds the offline artifact release/ionworks-edge-<version>-<platform>-<arch>.tar.gz
# (plus a .sha256) that installs on a lab PC with no registry access. Unpack it into
# /opt/ionworks-edge/releases/<version>/ and run its systemd/install.sh (docs/operations.md).
#
# Contents: dist/ (compiled here), package.json, package-lock.json, systemd/, config/, docs/, api/ (the OpenAPI
# text the demo's stand-in validates against), README.md and the production node_modules. Those are copied
# from this checkout's node_modules (installed by `npm ci`, so its
# native modules, better-sqlite3 and @serialport/bindings-cpp, are built for this machine) and pruned of dev
# dependencies. A fresh `npm ci --omit=dev` would rebuild better-sqlite3 from source, needing the registry and
# a compiler; pruning needs neither and ships the exact binaries the tests ran against.
#
#   scripts/release.sh [--out DIR]     DIR defaults to release/
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: error: $*" >&2; exit 1; }
OUT=release
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done

[ -d node_modules/better-sqlite3 ] || die "no node_modules: run npm ci first (the release ships its built native modules)"
# A symlinked node_modules would be copied as a link and the prune below would empty the real one.
[ ! -L node_modules ] || die "node_modules is a symlink; run npm ci in this checkout"
version="$(node -p "require('./package.json').version")"
target="$(node -p "process.platform + '-' + process.arch")"
name="ionworks-edge-$version-$target.tar.gz"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# Compile straight into the stage: the checkout's dist/ may be in use by a running test or demo.
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$stage/dist"
cp package.json package-lock.json "$stage/"
cp -R systemd "$stage/"
for extra in config docs api README.md; do
  if [ -e "$extra" ]; then cp -R "$extra" "$stage/"; else echo "release: warning: $extra is missing; not in the artifact" >&2; fi
done

cp -a node_modules "$stage/"
(cd "$stage" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund >/dev/null)
# Fails when a production dependency is missing or does not match the lockfile.
(cd "$stage" && npm ls --omit=dev --all >/dev/null) || die "production node_modules do not match package-lock.json; run npm ci"
# The native modules must load for this platform from the staged tree alone.
(cd "$stage" && node -e "new (require('better-sqlite3'))(':memory:').close(); require('@serialport/bindings-cpp')") ||
  die "native modules do not load from the staged tree"

mkdir -p "$OUT"
# mktemp made the stage 0700 and the builder's umask may be tight: the service user must read every file.
chmod -R u+rwX,go+rX,go-w "$stage"
# Entries owned by root: tar run as root on the PC restores owners, and the build user means nothing there.
tar --owner=0 --group=0 --numeric-owner -czf "$OUT/$name" -C "$stage" .
(cd "$OUT" && sha256sum "$name" >"$name.sha256")
echo "release: $OUT/$name ($(du -h "$OUT/$name" | cut -f1))"
