# Multi-stage: build the Debian package on Debian 12, then install it on a slim Debian 12 with apt.
# The runtime libraries are not listed here: they are the package's Depends, which dpkg-shlibdeps
# derives from what the binary links (CPACK_DEBIAN_PACKAGE_SHLIBDEPS), so a new dependency cannot be
# forgotten in this file. Build and check: scripts/container-smoke.sh (podman).
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN AVARA_BUILD_ONLY=1 ./scripts/install-deps.sh \
 && apt-get update -qq && apt-get install -y -qq --no-install-recommends dpkg-dev file >/dev/null \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_TESTS=OFF -DAVARA_BENCH=OFF \
 && cmake --build /build --target avara-onboard avara-changelog \
 && cd /build && cpack -G DEB -B /pkg >/dev/null \
 && dpkg-deb -f /pkg/avara-onboard_*.deb Depends

FROM debian:12-slim
COPY --from=build /pkg/ /tmp/pkg/
# One layer: install (apt resolves the shared libraries from the package's Depends), then drop the
# package lists, apt's caches and the .deb, which a base without Docker's apt-clean hook would keep.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends /tmp/pkg/avara-onboard_*.deb >/dev/null \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log /tmp/pkg \
 && useradd --system --uid 10001 --home-dir /work --create-home --shell /usr/sbin/nologin avara \
 && avara-onboard --version
USER avara
WORKDIR /work
ENTRYPOINT ["/usr/bin/avara-onboard"]
CMD ["--help"]
