#!/bin/sh
# The release pipeline's steps (.gitlab-ci.yml runs one per job): `sh scripts/release/release.sh <step>`.
#
#   verify   the tag is the package version, CHANGELOG.md has its section, no changeset is left unreleased
#   package  npm pack, the CycloneDX SBOM, the release notes (the changelog section), the release's links
#   image    build the image, push it as <version> and <major>.<minor>, record its digest
#   sign     keyless cosign signature and SBOM attestation of the pushed digest (the pipeline's OIDC identity)
#   npm      publish the packed tarball with npm provenance
#   gitlab   the GitLab release (notes, links to the image, the package and the SBOM), published to the CI/CD Catalog
#
# RELEASE_DRY_RUN=true: every command that would publish, push, sign or needs a registry is printed as
# `DRY-RUN: would run …` and appended to release/commands-<step>.jsonl (one JSON array of arguments a line)
# instead of run. Everything else (the checks, npm pack, `npm publish --dry-run`, the SBOM, the notes) runs
# for real. Secrets go on stdin or in files, never in arguments, so no record holds one.
# POSIX sh, no node in the image, sign and gitlab steps: their images (buildah, alpine, glab) have neither.
set -eu
cd "$(dirname "$0")/../.."

step="${1:?usage: release.sh verify|package|image|sign|npm|gitlab}"
tag="${CI_COMMIT_TAG:?release steps run in a tag pipeline, CI_COMMIT_TAG}"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)"
minor="${version%.*}"
out=release
mkdir -p "$out"
image="${CI_REGISTRY_IMAGE:?CI_REGISTRY_IMAGE, the project container registry}"
dry_run="${RELEASE_DRY_RUN:-false}"

# One JSON string per argument (backslashes, quotes and newlines escaped).
json_args() {
  sep=''
  printf '['
  for a in "$@"; do
    printf '%s"%s"' "$sep" "$(printf '%s' "$a" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g')"
    sep=','
  done
  printf ']\n'
}

# Runs a command that leaves the machine, or records it in dry-run.
publish() {
  if [ "$dry_run" = true ]; then
    echo "DRY-RUN: would run $*"
    json_args "$@" >>"$out/commands-$step.jsonl"
  else
    "$@"
  fi
}

case "$step" in
verify)
  if [ "$tag" != "$version" ]; then
    echo "tag $tag is not the package version $version (tags are plain semver: 1.2.3)" >&2
    exit 1
  fi
  if ! grep -qx "## $version" CHANGELOG.md; then
    echo "CHANGELOG.md has no section for $version (npm run release:version)" >&2
    exit 1
  fi
  pending=$(find .changeset -name '*.md' ! -name README.md | wc -l)
  if [ "$pending" -ne 0 ]; then
    echo "$pending changeset(s) not released yet: run npm run release:version first" >&2
    exit 1
  fi
  node scripts/release/versions.mjs check
  echo "release $version verified"
  ;;
package)
  npm run build
  npm pack --pack-destination "$out" >/dev/null
  # ./: a bare "release/x.tgz" is read as a GitHub shorthand.
  npm publish --dry-run "./$out/env-reaper-$version.tgz"
  # The SBOM of what the package installs (no development or optional dependencies).
  node scripts/release/sbom.mjs "$out/env-reaper-$version.tgz" >"$out/env-reaper-$version.cdx.json"
  node scripts/release/notes.mjs "$version" >"$out/release-notes.md"
  node scripts/release/links.mjs "$image" "$version" \
    "${CI_PROJECT_URL:?CI_PROJECT_URL}/-/jobs/artifacts/$version/raw/$out/env-reaper-$version.cdx.json?job=release:package" \
    "$CI_PROJECT_URL" >"$out/assets-links.json"
  echo "packed $out/env-reaper-$version.tgz, SBOM $out/env-reaper-$version.cdx.json"
  ;;
image)
  revision="${CI_COMMIT_SHA:-$(git rev-parse HEAD)}"
  # Registry credentials on stdin: never an argument, never in the record.
  printf '%s' "${CI_REGISTRY_PASSWORD:-}" |
    publish buildah login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
  publish buildah build --format docker --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --tag "$image:$version" --tag "$image:$minor" .
  publish buildah push --digestfile "$out/image.digest" "$image:$version"
  publish buildah push "$image:$minor"
  # A dry run pushed nothing, so it has no digest: the steps after it name a stand-in.
  if [ "$dry_run" = true ]; then echo "sha256:dry-run" >"$out/image.digest"; fi
  echo "image $image:$version ($(cat "$out/image.digest")), also $image:$minor"
  ;;
sign)
  digest="$(cat "$out/image.digest")"
  printf '%s' "${CI_REGISTRY_PASSWORD:-}" |
    publish cosign login "$CI_REGISTRY" --username "$CI_REGISTRY_USER" --password-stdin
  # Keyless: cosign exchanges the job's OIDC token (id_tokens: SIGSTORE_ID_TOKEN) for a Fulcio certificate.
  publish cosign sign --yes "$image@$digest"
  publish cosign attest --yes --type cyclonedx --predicate "$out/env-reaper-$version.cdx.json" "$image@$digest"
  ;;
npm)
  # Trusted publishing (npm 11.5+): the job's NPM_ID_TOKEN is the credential, no secret at all. With an
  # NPM_TOKEN CI/CD variable instead, the token goes in a user config file, never an argument. Either way
  # the provenance statement is signed with the job's SIGSTORE_ID_TOKEN.
  registry="${NPM_REGISTRY:-https://registry.npmjs.org/}"
  npmrc="$(mktemp)"
  if [ -n "${NPM_TOKEN:-}" ]; then echo "//${registry#*://}:_authToken=\${NPM_TOKEN}" >"$npmrc"; fi
  publish npm publish "./$out/env-reaper-$version.tgz" --provenance --access public --registry "$registry" --userconfig "$npmrc"
  ;;
gitlab)
  publish glab release create "$version" --name "env-reaper $version" --notes-file "$out/release-notes.md" \
    --assets-links "$(cat "$out/assets-links.json")" --publish-to-catalog
  ;;
*)
  echo "unknown release step: $step" >&2
  exit 2
  ;;
esac
