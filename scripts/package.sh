#!/usr/bin/env bash
# Builds the Debian package: a Release build in build-package/, then CPack.
#   ./scripts/package.sh            -> build-package/avara-onboard_VERSION_ARCH.deb
# Install it with: sudo apt install ./build-package/avara-onboard_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${AVARA_PACKAGE_BUILD_DIR:-build-package}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_TESTS=OFF -DAVARA_BENCH=OFF >/dev/null
cmake --build "$build" --target avara-onboard avara-man avara-changelog
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/avara-onboard_*.deb
