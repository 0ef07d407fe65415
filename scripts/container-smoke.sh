#!/usr/bin/env bash
# Builds the container image with podman and uses it as a Kubernetes job would (not run by CI: it
# needs podman, debootstrap and a few minutes). Without a registry, the debian:12 and
# debian:12-slim bases are made with debootstrap from the Debian mirror and imported.
#   ./scripts/container-smoke.sh          (as root)
# Two facts about these VMs: crun refuses hybrid cgroups (so --runtime runc), and podman run needs
# explicit ulimits.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for p in podman runc debootstrap uidmap fuse-overlayfs slirp4netns; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
podman=(podman --runtime runc)
run=("${podman[@]}" run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
work=$(mktemp -d /tmp/avara-container-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The bases, when no registry can give them.
make_base() {  # tag, debootstrap variant
    local tag=$1 variant=$2 root=$work/rootfs-${1//[:.]/-}
    "${podman[@]}" image exists "$tag" && return
    echo "container-smoke: debootstrap $tag ($variant)" >&2
    debootstrap --variant="$variant" bookworm "$root" http://deb.debian.org/debian >/dev/null
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
    tar -C "$root" -c . | "${podman[@]}" import - "$tag" >/dev/null
}
make_base docker.io/library/debian:12 buildd
make_base docker.io/library/debian:12-slim minbase

start=$(date +%s)
"${podman[@]}" build --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 -t avara-onboard:smoke . \
    >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
build_seconds=$(($(date +%s) - start))
size=$("${podman[@]}" image inspect avara-onboard:smoke --format '{{.Size}}')

mkdir -p "$work/roster" "$work/out"
cp samples/roster.csv "$work/roster/"
chmod 0755 "$work/roster" && chmod 0644 "$work/roster/roster.csv"
chmod 0777 "$work/out"
"${run[@]}" avara-onboard:smoke --version
"${run[@]}" avara-onboard:smoke demo -q --report /tmp/demo.report.csv
"${run[@]}" -v "$work/roster:/data:ro" -v "$work/out:/out" avara-onboard:smoke \
    validate /data/roster.csv --report /out/roster.report.csv --html-report /out/roster.html -q || [[ $? -eq 1 ]]
test -s "$work/out/roster.report.csv"
test -s "$work/out/roster.html"
user=$("${run[@]}" --entrypoint id avara-onboard:smoke -u)
[[ $user != 0 ]]
apt_cache=$("${run[@]}" --entrypoint sh avara-onboard:smoke -c 'du -sk /var/lib/apt/lists /var/cache/apt | awk "{s+=\$1} END {print s}"')
echo "container-smoke: OK: build ${build_seconds} s, image $((size / 1024 / 1024)) MB, apt lists+cache ${apt_cache} KB, runs as uid $user"
