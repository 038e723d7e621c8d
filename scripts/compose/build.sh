#!/usr/bin/env bash
# Builds the Docker Compose CLI (github.com/docker/compose/v5) from the Go module proxy into
# $OUT_DIR/bin/docker-compose. Airflow's compose file needs Compose >= v2.14; Debian 12 ships 1.29.
# Idempotent: $OUT_DIR/bin/.stamp-compose names the version built, and a repeated run is a no-op.
#
# Required environment: COMPOSE_VERSION (v5.N.N), OUT_DIR.
# `go install github.com/docker/compose/v5/cmd@VERSION` is refused because the module's go.mod has
# exclude directives, so the module's source is copied out of the module cache and built as the
# main module (its go.mod and go.sum then apply as written).
set -euo pipefail

: "${COMPOSE_VERSION:?COMPOSE_VERSION is required, e.g. v5.6.0}"
: "${OUT_DIR:?OUT_DIR is required}"
BIN="$OUT_DIR/bin"
WORK="$OUT_DIR/work/compose"
MODULE="github.com/docker/compose/v5"

if [[ -x "$BIN/docker-compose" && -f "$BIN/.stamp-compose" && "$(cat "$BIN/.stamp-compose")" == "$COMPOSE_VERSION" ]]; then
  echo "docker-compose $COMPOSE_VERSION already built in $BIN"
  exit 0
fi

command -v go >/dev/null || { echo "Go is not installed; install Go >= 1.25 to build docker-compose $COMPOSE_VERSION." >&2; exit 97; }
mkdir -p "$BIN" "$WORK"
export GOMAXPROCS="${GOMAXPROCS:-2}" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
export GOCACHE="$WORK/gocache" GOMODCACHE="$WORK/gomodcache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
NICE=(nice -n 19)
step() { echo "[compose build $(date +%H:%M:%S)] $*"; }

started=$(date +%s)
step "downloading $MODULE@$COMPOSE_VERSION"
# `go mod download -json` prints the module's directory in the module cache as "Dir".
module_dir="$(cd "$WORK" && "${NICE[@]}" go mod download -json "$MODULE@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "$module_dir" && -f "$module_dir/go.mod" ]] || { echo "go mod download did not report a directory for $MODULE@$COMPOSE_VERSION" >&2; exit 1; }

src="$WORK/src"
rm -rf "$src"
cp -r "$module_dir" "$src"
chmod -R u+w "$src"

step "building docker-compose $COMPOSE_VERSION (downloads its dependencies first)"
(cd "$src" && "${NICE[@]}" go build -trimpath -ldflags "-s -w -X $MODULE/internal.Version=$COMPOSE_VERSION" -o "$BIN/docker-compose.tmp" ./cmd)
mv "$BIN/docker-compose.tmp" "$BIN/docker-compose"
echo "$COMPOSE_VERSION" > "$BIN/.stamp-compose"
step "done in $(( $(date +%s) - started )) s: $BIN/docker-compose"

# Nothing of the work directory is kept: the copied source is only needed for the build, and the
# module and build caches (several hundred MB together) would only speed up building another version.
# On a failure everything stays, so a re-run resumes with the downloads already made.
if [[ "${KEEP_BUILD_CACHE:-0}" != 1 ]]; then
  step "removing the copied source and the Go caches in $WORK (set KEEP_BUILD_CACHE=1 to keep them)"
  chmod -R u+w "$WORK" && rm -rf "$WORK"
  rmdir "$OUT_DIR/work" 2>/dev/null || true
fi
