#!/usr/bin/env bash
# Builds the Dockerfile as a user would, with buildah (no Docker engine needed), on the stand-in base.
# `--format docker` keeps the HEALTHCHECK, which the OCI format drops.
# Usage: test/container/build-image.sh [TAG]   (root; needs buildah, podman, debootstrap)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag="${1:-env-reaper:test}"
if ! grep -q default_ulimits /etc/containers/containers.conf 2>/dev/null; then
  # The default ulimits exceed these machines' hard limits ("setrlimit … operation not permitted").
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >>/etc/containers/containers.conf
fi
bash test/container/build-base-image.sh
start=$(date +%s)
version=$(node -p 'require("./package.json").version')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
buildah bud --quiet --isolation chroot --network host --format docker --layers=false \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" -t "$tag" . >/dev/null
echo "image $tag built in $(($(date +%s) - start)) s, $(podman image inspect "$tag" --format '{{.Size}}') bytes"
