# Shared by ops/run and ops/test: install what is missing, configure, build.
# Sourced, not executed. Idempotent: a second call installs and rebuilds
# nothing that is already current.

ISMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages the build and the tests need.
ISMS_BUILD_PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.81-dev librocksdb-dev nlohmann-json3-dev libsimdjson-dev
  libssl-dev libsodium-dev libcurl4-openssl-dev libarchive-dev libqrencode-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev
  python3 python3-websockets python3-aiosmtpd
  chromium nodejs
)
# The fuzz targets (ops/fuzz, run briefly by ops/test) need libFuzzer from a
# clang that compiles the project's C++23 (std::expected): Debian 12's
# clang 14 does not, its clang-16 does.
ISMS_FUZZ_PACKAGES=(clang-16 libclang-rt-16-dev)
ISMS_FUZZ_CXX=clang++-16
# The browser tests (tests/webui) also need npm. A nodejs that bundles npm
# (NodeSource's conflicts with Debian's npm package) provides it already.
command -v npm >/dev/null 2>&1 || ISMS_BUILD_PACKAGES+=(npm)

# ccache keys on paths relative to the checkout's parent, so checkouts side by
# side share one cache.
: "${CCACHE_BASEDIR:=$(dirname "$ISMS_ROOT")}"
export CCACHE_BASEDIR

log() { printf '[ops] %s\n' "$*" >&2; }

# ensure_packages PKG... : apt-get install only the packages not yet installed.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]} — run as root or install them first"
    return 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_preset PRESET [TARGET...] : configure with a CMakePresets.json preset
# (release → build/release, asan → build/sanitize, dev → build/dev; release
# and asan treat warnings as errors), then an incremental build. Configures
# again only when the build directory is new or the presets file changed.
build_preset() {
  local preset="$1"; shift
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  local dir stamp want
  # The preset's binaryDir (CMakePresets.json): asan keeps the older name.
  case "$preset" in
    asan) dir="$ISMS_ROOT/build/sanitize" ;;
    *) dir="$ISMS_ROOT/build/$preset" ;;
  esac
  stamp="$dir/.isms-preset"
  want="$preset $(sha256sum "$ISMS_ROOT/CMakePresets.json" | cut -c1-64)"
  if [ ! -f "$dir/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$ISMS_ROOT" && cmake --preset "$preset" "${launcher[@]}" >/dev/null)
    printf '%s\n' "$want" > "$stamp"
  fi
  local targets=()
  [ $# -gt 0 ] && targets=(--target "$@")
  (cd "$ISMS_ROOT" && cmake --build --preset "$preset" --parallel "$(nproc)" "${targets[@]}")
}

# build BUILD_TYPE BUILD_DIR [-DOPTION=VALUE...] [TARGET...] : configure once, then an
# incremental build.
build() {
  local type="$1" dir="$2"; shift 2
  local launcher=() defines=()
  while [ $# -gt 0 ] && [[ "$1" == -D* ]]; do defines+=("$1"); shift; done
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f "$dir/build.ninja" ] || ! grep -q "CMAKE_BUILD_TYPE:STRING=$type" "$dir/CMakeCache.txt" 2>/dev/null; then
    cmake -S "$ISMS_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" "${defines[@]}" >/dev/null
  fi
  local jobs; jobs="$(nproc)"
  if [ $# -gt 0 ]; then
    cmake --build "$dir" --parallel "$jobs" --target "$@"
  else
    cmake --build "$dir" --parallel "$jobs"
  fi
}
