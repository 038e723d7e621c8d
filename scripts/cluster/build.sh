#!/usr/bin/env bash
# Builds the Kubernetes control plane, kubelet, kubectl, etcd and crictl from the Go module proxy
# into $OUT_DIR/bin, plus the tiny static binaries the local node needs (hp-pause, hp-echo).
# Idempotent: one stamp per part ($OUT_DIR/bin/.stamp-<part>) makes a repeated run a no-op.
#
# Required environment: K8S_VERSION (v1.34.N), ETCD_VERSION (v3.6.N), CRICTL_VERSION (v1.34.N), OUT_DIR.
# k8s.io/kubernetes requires its staging modules at v0.0.0 with replace directives into ./staging,
# which the proxy does not serve, so it is built from a consumer module that replaces each one with
# the published k8s.io/X v0.34.N. etcd's server module replaces its siblings with ../ paths too,
# so it gets its own consumer module.
set -euo pipefail

: "${K8S_VERSION:?K8S_VERSION is required, e.g. v1.34.12}"
: "${ETCD_VERSION:?ETCD_VERSION is required, e.g. v3.6.16}"
: "${CRICTL_VERSION:?CRICTL_VERSION is required, e.g. v1.34.0}"
: "${OUT_DIR:?OUT_DIR is required}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$OUT_DIR/bin"
WORK="$OUT_DIR/work"
HELPERS="helpers-$(cat "$HERE"/pause/main.go "$HERE"/echo/main.go | sha256sum | cut -c1-16)"
declare -A WANT=([k8s]="$K8S_VERSION" [etcd]="$ETCD_VERSION" [crictl]="$CRICTL_VERSION" [helpers]="$HELPERS")
PARTS=(helpers crictl etcd k8s)
fresh() { [[ -f "$BIN/.stamp-$1" && "$(cat "$BIN/.stamp-$1")" == "${WANT[$1]}" ]]; }

todo=()
for part in "${PARTS[@]}"; do fresh "$part" || todo+=("$part"); done
if (( ${#todo[@]} == 0 )); then
  echo "cluster binaries already built in $BIN"
  exit 0
fi

command -v go >/dev/null || { echo "Go is not installed; install Go >= 1.25 to build the local cluster." >&2; exit 97; }
mkdir -p "$BIN" "$WORK"
export GOMAXPROCS="${GOMAXPROCS:-2}" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
export GOCACHE="$WORK/gocache" GOMODCACHE="$WORK/gomodcache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
NICE=(nice -n 19)
step() { echo "[cluster build $(date +%H:%M:%S)] $*"; }

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
staging="v0.${K8S_VERSION#v1.}"
version_flags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

build_k8s() {
  local mod="$WORK/k8s-module"
  mkdir -p "$mod"
  step "fetching k8s.io/kubernetes $K8S_VERSION go.mod"
  curl -fsSL --retry 5 "${GOPROXY%%,*}/k8s.io/kubernetes/@v/$K8S_VERSION.mod" -o "$mod/upstream.mod"
  {
    echo "module healthpredict.local/k8sbuild"
    echo
    grep -E '^go [0-9]' "$mod/upstream.mod"
    grep -E '^godebug ' "$mod/upstream.mod" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    grep -oE '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$mod/upstream.mod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<'EOF'
//go:build tools

package tools
EOF
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
  local pkgs=()
  for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  step "resolving modules for ${cmds[*]}"
  (cd "$mod" && "${NICE[@]}" go get "${pkgs[@]/%/@$K8S_VERSION}")
  for c in "${cmds[@]}"; do
    step "building $c"
    (cd "$mod" && "${NICE[@]}" go build -trimpath -ldflags "$version_flags" -o "$BIN/$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv "$BIN/$c.tmp" "$BIN/$c"
  done
}

build_etcd() {
  local mod="$WORK/etcd-module"
  mkdir -p "$mod"
  echo "module healthpredict.local/etcdbuild" > "$mod/go.mod"
  step "resolving etcd $ETCD_VERSION"
  (cd "$mod" && "${NICE[@]}" go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION")
  step "building etcd"
  (cd "$mod" && "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  step "building etcdctl"
  (cd "$mod" && "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$BIN/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3)
  mv "$BIN/etcdctl.tmp" "$BIN/etcdctl"
}

build_crictl() {
  local mod="$WORK/crictl-module"
  mkdir -p "$mod"
  echo "module healthpredict.local/crictlbuild" > "$mod/go.mod"
  step "resolving crictl $CRICTL_VERSION"
  (cd "$mod" && "${NICE[@]}" go get "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION")
  step "building crictl"
  (cd "$mod" && "${NICE[@]}" go build -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" -o "$BIN/crictl.tmp" sigs.k8s.io/cri-tools/cmd/crictl)
  mv "$BIN/crictl.tmp" "$BIN/crictl"
}

build_helpers() {
  for h in pause echo; do
    step "building $h helper"
    (cd "$HERE/$h" && "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$BIN/hp-$h.tmp" .)
    mv "$BIN/hp-$h.tmp" "$BIN/hp-$h"
  done
}

started=$(date +%s)
step "building: ${todo[*]}"
for part in "${todo[@]}"; do
  "build_$part"
  echo "${WANT[$part]}" > "$BIN/.stamp-$part"
done
step "done in $(( $(date +%s) - started )) s; binaries in $BIN"
if [[ "${KEEP_BUILD_CACHE:-0}" != 1 ]]; then
  step "removing the Go build and module caches in $WORK (set KEEP_BUILD_CACHE=1 to keep them)"
  chmod -R u+w "$WORK" && rm -rf "$WORK"
fi
