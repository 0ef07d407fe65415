#!/usr/bin/env bash
# Installs every Debian package that building, testing, fuzzing and benchmarking need.
# Idempotent: when everything is present it prints nothing and touches no package list.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl ca-certificates
  libsimdjson-dev libfccp-dev doctest-dev libcli11-dev libtomlplusplus-dev libzip-dev libexpat1-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  curl python3
)
# The docs, package, metrics and HTML-report tests (man page, .deb, lintian, units, promtool, Chromium,
# completions). AVARA_BUILD_ONLY=1 (the Dockerfile's build stage) leaves them out.
if [[ "${AVARA_BUILD_ONLY:-0}" != 1 ]]; then
  packages+=(scdoc man-db dpkg-dev file lintian systemd zsh prometheus chromium python3-yaml)
fi
if [[ "${AVARA_BENCH_DEPS:-0}" == 1 ]]; then
  packages+=(wrk nginx-light time)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
