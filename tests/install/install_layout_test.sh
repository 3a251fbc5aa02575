#!/usr/bin/env bash
# `cmake --install` lays out the standard tree (bin/ismsd, the web UI under
# share/isms-ledger/webui, the documentation under share/doc/isms-ledger, the
# service files of ops/packaging under share/isms-ledger/packaging); the
# installed ismsd, started from elsewhere without --webui, serves that web UI;
# and it starts with the example config (ismsd.conf.example), its folders
# moved into a temporary one, and uses the folders that config names.
#   install_layout_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1" source="$2"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ismsd-install-XXXXXX")"
pid='' runner=''
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$runner" ] && wait "$runner" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

# start_ismsd NAME ARG... : runs the installed ismsd with ARGs from an empty
# working directory (where ./webui does not exist), its output into a FIFO
# held open for the test's life so that the server's output never blocks or
# breaks. Sets pid (ismsd's), port (from "running at http://127.0.0.1:PORT/")
# and out (the FIFO's descriptor); fails with the server's output when it
# exits instead.
start_ismsd() {
  local name="$1"; shift
  mkdir -p "$tmp/elsewhere"
  mkfifo "$tmp/$name.out"
  exec {out}<>"$tmp/$name.out"
  (
    cd "$tmp/elsewhere"
    env ISMS_ADMIN_PASSWORD=install-test-password "$prefix/bin/ismsd" "$@" &
    echo "ismsd pid $!"
    status=0
    wait "$!" || status=$?
    echo "ismsd exited with status $status"
  ) >"$tmp/$name.out" 2>&1 &
  runner=$!
  pid='' port=''
  local line seen=
  while IFS= read -r -t 60 -u "$out" line; do
    seen+="$line"$'\n'
    if [[ "$line" =~ ^ismsd\ pid\ ([0-9]+)$ ]]; then
      pid="${BASH_REMATCH[1]}"
    elif [[ "$line" =~ running\ at\ http://127\.0\.0\.1:([0-9]+)/ ]]; then
      port="${BASH_REMATCH[1]}"
      return 0
    elif [[ "$line" =~ ^ismsd\ exited ]]; then
      break
    fi
  done
  fail "the installed ismsd ($name) did not start:"$'\n'"$seen"
}

# stop_ismsd: SIGTERM, and the orderly stop ends with exit status 0.
stop_ismsd() {
  kill -TERM "$pid"
  local line
  while IFS= read -r -t 60 -u "$out" line; do
    if [[ "$line" =~ ^ismsd\ exited\ with\ status\ ([0-9]+)$ ]]; then
      wait "$runner" 2>/dev/null || true
      pid='' runner=''
      [ "${BASH_REMATCH[1]}" = 0 ] || fail "ismsd exited with status ${BASH_REMATCH[1]} on SIGTERM"
      return 0
    fi
  done
  fail "ismsd did not stop within 60 s of SIGTERM"
}

[ -x "$prefix/bin/ismsd" ] || fail "bin/ismsd is missing or not executable"
webui="$prefix/share/isms-ledger/webui"
docs="$prefix/share/doc/isms-ledger"
packaging="$prefix/share/isms-ledger/packaging"
# Every file of the web UI (its README goes to the docs as webui.md).
(cd "$source/webui" && find . -type f ! -path ./README.md) | while read -r f; do
  cmp -s "$source/webui/$f" "$webui/$f" || fail "web UI file $f is missing or differs"
done
for f in "$source"/docs/*.md; do
  cmp -s "$f" "$docs/$(basename "$f")" || fail "doc $(basename "$f") is missing or differs"
done
[ -f "$docs/README.md" ] || fail "README.md is not among the docs"
[ -f "$docs/webui.md" ] || fail "the web UI's README is not among the docs"
# Every file of ops/packaging: the systemd unit, the sysusers and tmpfiles
# entries, the example config, the alert rules and their README.
for f in "$source"/ops/packaging/*; do
  cmp -s "$f" "$packaging/$(basename "$f")" || fail "packaging file $(basename "$f") is missing or differs"
done
# Nothing else: no tests, benchmarks or libraries.
unexpected="$(cd "$prefix" && find . -type f ! -path ./bin/ismsd ! -path './share/isms-ledger/webui/*' \
  ! -path './share/doc/isms-ledger/*' ! -path './share/isms-ledger/packaging/*')"
[ -z "$unexpected" ] || fail "unexpected files installed: $unexpected"

# The installed server finds its web UI relative to itself, from any working
# directory.
start_ismsd plain serve --data "$tmp/data" --address 127.0.0.1 --port 0
curl -fsS "http://127.0.0.1:$port/" -o "$tmp/index.html" || fail "GET / failed"
cmp -s "$tmp/index.html" "$source/webui/index.html" || fail "GET / is not the installed web UI's index.html"
curl -fsS "http://127.0.0.1:$port/js/app.js" -o "$tmp/app.js" || fail "GET /js/app.js failed"
cmp -s "$tmp/app.js" "$source/webui/js/app.js" || fail "GET /js/app.js is not the web UI's"
stop_ismsd

# The example config as installed, its folders moved into $tmp (made as the
# tmpfiles entries make them: the server user's alone) and its listener to a
# loopback port of the system's choice. Every key in it must be one the
# server accepts: an unknown key, a wrong type or a value out of range stops
# the server, and start_ismsd fails with its message.
mkdir -m 0700 "$tmp/state" "$tmp/backups"
move_config='
import json, sys
example, out, state, backups, prefix = sys.argv[1:]
with open(example) as f:
    conf = json.load(f)
moved = {"/var/lib/isms-ledger": state, "/var/backups/isms-ledger": backups, "/usr": prefix}
for key, value in conf.items():
    if isinstance(value, str) and value.startswith("/"):
        for old, new in moved.items():
            if value == old or value.startswith(old + "/"):
                conf[key] = new + value[len(old):]
                break
        else:
            sys.exit(f"{key}: the test does not know where to move {value}")
address = conf.get("address")
if address not in ("127.0.0.1", "::1"):
    sys.exit(f"address: {address}: the example listens on loopback, for the reverse proxy")
conf["port"] = 0
with open(out, "w") as f:
    json.dump(conf, f, indent=2)
'
python3 -c "$move_config" "$packaging/ismsd.conf.example" "$tmp/ismsd.conf" "$tmp/state" "$tmp/backups" "$prefix" ||
  fail "the example config could not be moved into the test's folder"
start_ismsd config serve --config "$tmp/ismsd.conf"
[ -f "$tmp/state/data/CURRENT" ] || fail "the store is not in the config's data folder"
[ "$(stat -c %a "$tmp/state/signing.key" 2>/dev/null)" = 600 ] ||
  fail "the signing key is not at the config's signing_key, or not mode 600"
curl -fsS "http://127.0.0.1:$port/" -o "$tmp/index-config.html" || fail "GET / failed (example config)"
cmp -s "$tmp/index-config.html" "$source/webui/index.html" || fail "GET / is not the config's web UI's index.html"
# An online backup lands in the config's backup_dir.
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
token="$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"admin","password":"install-test-password"}' \
  "http://127.0.0.1:$port/api/session" | json_field token)" || fail "the administrator cannot sign in (example config)"
backup="$(curl -fsS -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/backup" | json_field path)" ||
  fail "POST /api/backup failed (example config)"
[[ "$backup" == "$tmp/backups/"* && -d "$backup" ]] || fail "the backup $backup is not in the config's backup_dir"
stop_ismsd
echo "install layout: ok"
