# Multi-stage: build on Debian 12 with the project's own dependency script, run as a non-root user.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN ./scripts/install-deps.sh \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVARA_TESTS=OFF -DAVARA_BENCH=OFF \
 && cmake --build /build --target avara-onboard

FROM debian:12-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates libssl3 libsimdjson14 libboost-json1.81.0 libboost-url1.81.0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work --create-home avara
COPY --from=build /build/avara-onboard /usr/local/bin/avara-onboard
USER avara
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/avara-onboard"]
CMD ["--help"]
