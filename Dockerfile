# ISMS Ledger: ismsd in a container (ops/packaging/README.md, "Docker").
#   docker build -t isms-ledger .
#   docker run -d --stop-timeout 180 -p 127.0.0.1:8080:8080 \
#       -v isms-data:/var/lib/isms-ledger -v isms-backups:/var/backups/isms-ledger isms-ledger

# ---- build: the release build of ismsd, installed under /usr in /staging ----
FROM debian:12 AS build
# ops/lib.sh's ISMS_BUILD_PACKAGES without what only the tests and the
# developer's tools need (GoogleTest, Python, Node.js, Chromium, ccache, git).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost1.81-dev librocksdb-dev nlohmann-json3-dev \
      libssl-dev libsodium-dev libcurl4-openssl-dev libarchive-dev libqrencode-dev libgoogle-perftools-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The release preset's build type, without the tests and the benchmarks
# (which the presets turn on) and without -Werror (a warning of another
# compiler version must not stop an image build).
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DISMS_BUILD_TESTS=OFF -DISMS_BUILD_BENCH=OFF \
 && cmake --build /build \
 && DESTDIR=/staging cmake --install /build

# ---- runtime: the installed tree and the shared libraries it links ----------
FROM debian:12-slim
# ismsd links RocksDB, libsodium, libcurl (OpenSSL), libarchive, libqrencode, tcmalloc, simdjson and
# OpenSSL's libcrypto; ca-certificates verifies https:// webhook receivers; curl runs
# the health check (it costs little: libcurl4 is needed anyway).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librocksdb7.8 libsodium23 libcurl4 libarchive13 libqrencode4 libtcmalloc-minimal4 libsimdjson14 libssl3 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# An unprivileged user with a fixed id (for runAsNonRoot and for host folders
# mounted in), owning the two folders the server writes; a new volume takes
# its folder's owner and mode.
RUN groupadd --gid 10001 isms-ledger \
 && useradd --no-log-init --uid 10001 --gid isms-ledger --home-dir /var/lib/isms-ledger --no-create-home \
      --shell /usr/sbin/nologin isms-ledger \
 && install -d -m 0700 -o isms-ledger -g isms-ledger /var/lib/isms-ledger /var/backups/isms-ledger
COPY --from=build /staging/usr/ /usr/
USER 10001:10001
VOLUME ["/var/lib/isms-ledger", "/var/backups/isms-ledger"]
EXPOSE 8080
# SIGTERM is the orderly stop (commands drained, a checkpoint signed, the
# views' snapshot written); give it time: docker run --stop-timeout 180.
STOPSIGNAL SIGTERM
# /healthz answers 503 while the store refuses writes (a full disk, a chain
# that failed verification). ismsd listens once its views have caught up
# with the log: the start period leaves time for a long one.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/ismsd"]
# The store and the signing key in the volume (the key beside the store, not
# in it), backups in the second volume, every address of the container.
CMD ["serve", "--data", "/var/lib/isms-ledger/data", "--signing_key", "/var/lib/isms-ledger/signing.key", \
     "--backup_dir", "/var/backups/isms-ledger", "--webui", "/usr/share/isms-ledger/webui", \
     "--address", "0.0.0.0", "--port", "8080"]
