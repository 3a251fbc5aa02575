#!/usr/bin/env bash
# `cmake --install` lays out the standard tree (bin/ismsd, the web UI under
# share/isms-ledger/webui, the documentation under share/doc/isms-ledger), and
# the installed ismsd, started from elsewhere without --webui, serves that web UI.
#   install_layout_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1" source="$2"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ismsd-install-XXXXXX")"
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

[ -x "$prefix/bin/ismsd" ] || fail "bin/ismsd is missing or not executable"
webui="$prefix/share/isms-ledger/webui"
docs="$prefix/share/doc/isms-ledger"
# Every file of the web UI (its README goes to the docs as webui.md).
(cd "$source/webui" && find . -type f ! -path ./README.md) | while read -r f; do
  cmp -s "$source/webui/$f" "$webui/$f" || fail "web UI file $f is missing or differs"
done
for f in "$source"/docs/*.md; do
  cmp -s "$f" "$docs/$(basename "$f")" || fail "doc $(basename "$f") is missing or differs"
done
[ -f "$docs/README.md" ] || fail "README.md is not among the docs"
[ -f "$docs/webui.md" ] || fail "the web UI's README is not among the docs"
# Nothing else: no tests, benchmarks or libraries.
unexpected="$(cd "$prefix" && find . -type f ! -path ./bin/ismsd ! -path './share/isms-ledger/webui/*' \
  ! -path './share/doc/isms-ledger/*')"
[ -z "$unexpected" ] || fail "unexpected files installed: $unexpected"

# The installed server finds its web UI relative to itself, from any working
# directory (here an empty one, where ./webui does not exist).
mkdir "$tmp/elsewhere"
mkfifo "$tmp/out"
exec 3<>"$tmp/out"  # held open for the test's life: the server's output never blocks or breaks
(cd "$tmp/elsewhere" && exec env ISMS_ADMIN_PASSWORD=install-test-password \
  "$prefix/bin/ismsd" serve --data "$tmp/data" --address 127.0.0.1 --port 0 >"$tmp/out" 2>&1) &
pid=$!
port=
while IFS= read -r -t 60 -u 3 line; do
  if [[ "$line" =~ running\ at\ http://127\.0\.0\.1:([0-9]+)/ ]]; then
    port="${BASH_REMATCH[1]}"
    break
  fi
done
[ -n "$port" ] || fail "the installed ismsd did not start"
curl -fsS "http://127.0.0.1:$port/" -o "$tmp/index.html" || fail "GET / failed"
cmp -s "$tmp/index.html" "$source/webui/index.html" || fail "GET / is not the installed web UI's index.html"
curl -fsS "http://127.0.0.1:$port/js/app.js" -o "$tmp/app.js" || fail "GET /js/app.js failed"
cmp -s "$tmp/app.js" "$source/webui/js/app.js" || fail "GET /js/app.js is not the web UI's"
echo "install layout: ok"
