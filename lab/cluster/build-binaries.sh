#!/usr/bin/env bash
# Builds the lab's binaries from the Go module proxy once and caches them by version:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes, via a wrapper module)
#   etcd                                                     (go.etcd.io/etcd/server/v3, via a wrapper module)
#   kwok                                                     (sigs.k8s.io/kwok/cmd/kwok)
#   kustomize                                                (sigs.k8s.io/kustomize/kustomize/v5)
#   gitea                                                    (code.gitea.io/gitea, via a wrapper module, cgo + sqlite)
# plus kwok's stage YAMLs, Gitea's templates/options/public folders (it runs without embedded assets),
# and the CRDs of lab/cluster/crd-modules.txt (cert-manager, Argo CD, Velero, Traefik, the Gateway API),
# copied from their Go modules.
# Cache: ${K8S_NAS_PANEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-nas-panel}
#
# Usage: lab/cluster/build-binaries.sh [--print-dir|--is-cached] [cluster] [crds] [gitea]
#   --print-dir   only print the bin directory and exit
#   --is-cached   build nothing; exit 0 when the binaries asked for are all cached, 1 otherwise
#   cluster       the control plane's binaries (kubernetes, etcd, kwok, kustomize) and the CRDs
#   crds          only the CRDs from Go modules
#   gitea         only Gitea
#   (no target: all)
set -euo pipefail

K8S_VERSION="${LAB_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${LAB_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${LAB_KWOK_VERSION:-v0.8.0}"
KUSTOMIZE_VERSION="${LAB_KUSTOMIZE_VERSION:-v5.8.2}"
# v1.27 declares the module path gitea.dev, which the module proxy does not serve.
GITEA_VERSION="${LAB_GITEA_VERSION:-v1.26.0}"

CACHE_DIR="${K8S_NAS_PANEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-nas-panel}"
BIN_DIR="$CACHE_DIR/bin"
SRC_DIR="$CACHE_DIR/src"
STAGE_DIR="$CACHE_DIR/kwok-stages-$KWOK_VERSION"
CRD_DIR="$CACHE_DIR/crds"
CRD_MODULES_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/crd-modules.txt"
GITEA_ASSETS_DIR="$CACHE_DIR/gitea-assets-$GITEA_VERSION"

WANT_CLUSTER=0
WANT_CRDS=0
WANT_GITEA=0
CHECK_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --print-dir) echo "$BIN_DIR"; exit 0 ;;
    --is-cached) CHECK_ONLY=1 ;;
    cluster) WANT_CLUSTER=1; WANT_CRDS=1 ;;
    crds) WANT_CRDS=1 ;;
    gitea) WANT_GITEA=1 ;;
    *) echo "usage: $0 [--print-dir|--is-cached] [cluster] [crds] [gitea]" >&2; exit 2 ;;
  esac
done
if (( WANT_CLUSTER == 0 && WANT_CRDS == 0 && WANT_GITEA == 0 )); then WANT_CLUSTER=1; WANT_CRDS=1; WANT_GITEA=1; fi

# The lines of crd-modules.txt: "name module version path [files]", comments and blank lines left out
# ("-" stands for no files column: every YAML file of the folder).
crd_modules() {
  sed -e 's/#.*//' "$CRD_MODULES_FILE" | awk 'NF == 4 {print $1, $2, $3, $4, "-"} NF == 5 {print $1, $2, $3, $4, $5}'
}

START_ALL=$(date +%s)
log() { printf '[lab build %4ss] %s\n' "$(( $(date +%s) - START_ALL ))" "$*"; }
die() { printf '[lab build] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$BIN_DIR" "$SRC_DIR"

if (( CHECK_ONLY )); then LAB_BUILD_LOCKED=1; fi

# One build at a time per cache: a second run (another checkout, the demo beside the tests) waits for the
# first and then finds the binaries cached.
if [[ -z "${LAB_BUILD_LOCKED:-}" ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.build.lock"
  if ! flock -n 9; then
    log "another build of the lab binaries is running (lock $CACHE_DIR/.build.lock); waiting for it"
    flock 9
  fi
  export LAB_BUILD_LOCKED=1
fi

cluster_cached() {
  local f
  for f in "kube-apiserver-$K8S_VERSION" "kube-controller-manager-$K8S_VERSION" "kube-scheduler-$K8S_VERSION" \
    "etcd-$ETCD_VERSION" "kwok-$KWOK_VERSION" "kustomize-$KUSTOMIZE_VERSION"; do
    [[ -x "$BIN_DIR/$f" ]] || return 1
  done
  [[ -f "$STAGE_DIR/.complete" ]]
}
gitea_cached() {
  [[ -x "$BIN_DIR/gitea-$GITEA_VERSION" && -f "$GITEA_ASSETS_DIR/.complete" ]]
}
crds_cached() {
  local name module version path files
  while read -r name module version path files; do
    [[ -f "$CRD_DIR/$name-$version/.complete" && "$(cat "$CRD_DIR/$name-$version/.complete")" == "$files" ]] || return 1
  done < <(crd_modules)
}
all_cached() {
  { (( WANT_CLUSTER == 0 )) || cluster_cached; } && { (( WANT_CRDS == 0 )) || crds_cached; } && { (( WANT_GITEA == 0 )) || gitea_cached; }
}
if (( CHECK_ONLY )); then all_cached; exit; fi
if all_cached && [[ "${LAB_REBUILD:-0}" != "1" ]]; then
  what=()
  (( WANT_CLUSTER )) && what+=("kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION, kustomize $KUSTOMIZE_VERSION")
  (( WANT_CRDS )) && what+=("CRDs of $(crd_modules | awk '{print $1 " " $3}' | paste -sd, - | sed 's/,/, /g')")
  (( WANT_GITEA )) && what+=("gitea $GITEA_VERSION")
  log "all binaries cached in $BIN_DIR ($(IFS=';'; echo "${what[*]}" | sed 's/;/; /g'))"
  exit 0
fi

# ---------------------------------------------------------------- Debian packages
APT_UPDATED=0
ensure_pkg() { # ensure_pkg <command> <debian-package>
  command -v "$1" >/dev/null 2>&1 && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    die "'$1' is missing and apt-get is not available; install the '$2' package"
  fi
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update (needed for $2)"
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing Debian package $2"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
}
ensure_pkg openssl openssl
ensure_pkg curl curl
ensure_pkg git git
# Gitea's SQLite driver is cgo.
(( WANT_GITEA )) && ensure_pkg gcc gcc

# ---------------------------------------------------------------- Go and the module proxy
if ! command -v go >/dev/null 2>&1; then
  die "the Go toolchain ('go') is not on PATH. Install Go >= 1.26 (https://go.dev/dl/ or your package manager) and re-run."
fi
GO_VER=$(go env GOVERSION)
GO_MINOR=$(echo "$GO_VER" | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ "$GO_MINOR" =~ ^[0-9]+$ ]] && (( GO_MINOR < 26 )); then
  die "Go >= 1.26 is needed to build Kubernetes $K8S_VERSION, found $GO_VER. Install a newer Go or set GOTOOLCHAIN=go1.26.8 (downloaded through the module proxy)."
fi
log "using $GO_VER, GOPROXY=$(go env GOPROXY), cache $CACHE_DIR"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

# Checks that the proxy serves a module version; fails with a clear message otherwise.
check_module() { # check_module <module@version>
  local out
  if ! out=$(go list -m "$1" 2>&1); then
    die "the Go module proxy ($(go env GOPROXY)) did not serve $1:
$out
Check network access to the module proxy (or set GOPROXY), then re-run."
  fi
}

# Runs a command in the background, printing a heartbeat every 30 s; fails with the tail of its log.
run_with_heartbeat() { # run_with_heartbeat <label> <logfile> <cmd...>
  local label="$1" logfile="$2"
  shift 2
  local t0 pid
  t0=$(date +%s)
  "$@" >"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 30); do
      sleep 1
      kill -0 "$pid" 2>/dev/null || break
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "  $label: still running ($(( $(date +%s) - t0 ))s)"
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$logfile" >&2
    die "$label failed after $(( $(date +%s) - t0 ))s (full log: $logfile)"
  fi
  log "  $label: done in $(( $(date +%s) - t0 ))s"
}

have_all() { # have_all <names...> : every <name>-<version> exists
  local n
  for n in "$@"; do [[ -x "$BIN_DIR/$n" ]] || return 1; done
}

# ---------------------------------------------------------------- Kubernetes control plane
build_kubernetes() {
  local v="$K8S_VERSION" sv="v0.${K8S_VERSION#v1.}"
  local names=(kube-apiserver kube-controller-manager kube-scheduler)
  if have_all "${names[@]/%/-$v}"; then
    log "kubernetes $v: cached"
    return 0
  fi
  log "kubernetes $v: building ${names[*]} (the longest step; ~tens of minutes cold on 2 cores)"
  check_module "k8s.io/kubernetes@$v"
  local dir="$SRC_DIR/kubernetes-$v"
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    go mod init lab.local/kubernetes >/dev/null 2>&1
    local gomod
    gomod=$(go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@$v")
    # Every k8s.io/X => ./staging/... replace of kubernetes' go.mod becomes k8s.io/X => k8s.io/X@v0.N.M.
    local mods
    mods=$(grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk '{print $1}' | sort -u)
    [[ -n "$mods" ]] || die "no staging replaces found in $gomod"
    local args=()
    for m in $mods; do args+=("-replace=$m=$m@$sv"); done
    go mod edit "${args[@]}"
    log "  kubernetes: $(echo "$mods" | wc -l) staging modules pinned to $sv; resolving dependencies"
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$v" "k8s.io/kubernetes/cmd/kube-controller-manager@$v" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$v" >get.log 2>&1 || { tail -n 30 get.log >&2; exit 1; }
    go mod tidy >>get.log 2>&1 || { tail -n 30 get.log >&2; exit 1; }
  ) || die "could not resolve the kubernetes $v modules (see above)"
  local minor="${v#v1.}"
  minor="${minor%%.*}"
  local date
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=$date"
  done
  local out="$dir/out"
  mkdir -p "$out"
  run_with_heartbeat "go build ${names[*]}" "$dir/build.log" \
    bash -c "cd '$dir' && go build -trimpath -ldflags '$ld' -o '$out/' \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
  for n in "${names[@]}"; do mv "$out/$n" "$BIN_DIR/$n-$v"; done
  "$BIN_DIR/kube-apiserver-$v" --version
}

# ---------------------------------------------------------------- etcd
build_etcd() {
  local v="$ETCD_VERSION"
  if have_all "etcd-$v"; then
    log "etcd $v: cached"
    return 0
  fi
  log "etcd $v: building from go.etcd.io/etcd/server/v3"
  check_module "go.etcd.io/etcd/server/v3@$v"
  local dir="$SRC_DIR/etcd-$v"
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    go mod init lab.local/etcd >/dev/null 2>&1
    # etcd's server go.mod replaces its sibling modules with ../api etc.; pin them to the release instead.
    local gomod
    gomod=$(go list -m -f '{{.GoMod}}' "go.etcd.io/etcd/server/v3@$v")
    local args=()
    for m in $(grep -E '^\s*go\.etcd\.io/etcd/[^ ]+ => \.\./' "$gomod" | awk '{print $1}' | sort -u); do
      args+=("-replace=$m=$m@$v")
    done
    [[ ${#args[@]} -gt 0 ]] && go mod edit "${args[@]}"
    go get -tool "go.etcd.io/etcd/server/v3@$v" >get.log 2>&1 || { tail -n 30 get.log >&2; exit 1; }
    go mod tidy >>get.log 2>&1 || { tail -n 30 get.log >&2; exit 1; }
  ) || die "could not resolve etcd $v"
  run_with_heartbeat "go build etcd" "$dir/build.log" \
    bash -c "cd '$dir' && go build -trimpath -ldflags '-s -w' -o '$BIN_DIR/etcd-$v' go.etcd.io/etcd/server/v3"
  "$BIN_DIR/etcd-$v" --version | head -n 1
}

# ---------------------------------------------------------------- go install based tools
build_install() { # build_install <name> <package> <version> <ldflags>
  local name="$1" pkg="$2" v="$3" ld="$4"
  if have_all "$name-$v"; then
    log "$name $v: cached"
    return 0
  fi
  log "$name $v: building $pkg"
  local gobin="$SRC_DIR/gobin-$name-$v"
  rm -rf "$gobin" && mkdir -p "$gobin"
  run_with_heartbeat "go install $name" "$SRC_DIR/$name-$v.log" \
    env GOBIN="$gobin" go install -trimpath -ldflags "$ld" "$pkg@$v"
  mv "$gobin/$name" "$BIN_DIR/$name-$v"
  rm -rf "$gobin"
}

copy_kwok_stages() {
  [[ -f "$STAGE_DIR/.complete" ]] && return 0
  local moddir
  moddir=$(go list -m -f '{{.Dir}}' "sigs.k8s.io/kwok@$KWOK_VERSION" 2>/dev/null || true)
  if [[ -z "$moddir" || ! -d "$moddir/kustomize/stage" ]]; then
    go mod download "sigs.k8s.io/kwok@$KWOK_VERSION" >/dev/null 2>&1 || true
    moddir="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION"
  fi
  [[ -d "$moddir/kustomize/stage" ]] || die "kwok stage YAMLs not found under $moddir/kustomize/stage"
  rm -rf "$STAGE_DIR" && mkdir -p "$STAGE_DIR"
  cp -r "$moddir/kustomize/stage/." "$STAGE_DIR/"
  chmod -R u+w "$STAGE_DIR"
  touch "$STAGE_DIR/.complete"
  log "kwok stages copied to $STAGE_DIR"
}

# ---------------------------------------------------------------- Gitea
# code.gitea.io/gitea's go.mod has replace lines (forks and pinned versions), which `go install` refuses:
# a wrapper module copies them. The SQLite driver needs cgo and the sqlite tags. Without embedded assets
# (they need Gitea's frontend build) Gitea reads templates/, options/ (locales, labels) and public/ from
# its STATIC_ROOT_PATH: those folders are copied next to the binary.
build_gitea() {
  local v="$GITEA_VERSION"
  if gitea_cached && [[ "${LAB_REBUILD:-0}" != "1" ]]; then
    log "gitea $v: cached"
    return 0
  fi
  log "gitea $v: building code.gitea.io/gitea (about 4 min on 2 cores)"
  check_module "code.gitea.io/gitea@$v"
  local dir="$SRC_DIR/gitea-$v"
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    go mod init lab.local/gitea >/dev/null 2>&1
    local gomod
    gomod=$(go list -m -f '{{.GoMod}}' "code.gitea.io/gitea@$v")
    # `replace a => b vX // comment` lines (single-line form); a block form would need the same treatment.
    local args=()
    while read -r from to ver; do
      args+=("-replace=$from=$to@$ver")
    done < <(sed -E 's#//.*##' "$gomod" | awk '$1 == "replace" && $3 == "=>" && NF == 5 {print $2, $4, $5}')
    grep -qE '^replace \($' "$gomod" && { echo "gitea's go.mod has a replace block this script does not read" >&2; exit 1; }
    [[ ${#args[@]} -gt 0 ]] && go mod edit "${args[@]}"
    log "  gitea: ${#args[@]} replace lines copied"
  ) || die "could not prepare the gitea $v wrapper module (see above)"
  run_with_heartbeat "gitea dependencies (go get, go mod tidy)" "$dir/get.log" \
    bash -c "cd '$dir' && go get -tool 'code.gitea.io/gitea@$v' && go mod tidy"
  local tags="sqlite sqlite_unlock_notify"
  local ld="-s -w -X 'main.Version=${v#v}' -X 'main.Tags=$tags'"
  run_with_heartbeat "go build gitea" "$dir/build.log" \
    bash -c "cd '$dir' && CGO_ENABLED=1 go build -trimpath -tags '$tags' -ldflags \"$ld\" -o '$dir/gitea' code.gitea.io/gitea"
  local moddir
  moddir=$(go list -m -f '{{.Dir}}' "code.gitea.io/gitea@$v")
  [[ -d "$moddir/options/locale" ]] || die "gitea's options/locale not found under $moddir"
  rm -rf "$GITEA_ASSETS_DIR" && mkdir -p "$GITEA_ASSETS_DIR"
  cp -r "$moddir/options" "$moddir/templates" "$moddir/public" "$GITEA_ASSETS_DIR/"
  chmod -R u+w "$GITEA_ASSETS_DIR"
  touch "$GITEA_ASSETS_DIR/.complete"
  mv "$dir/gitea" "$BIN_DIR/gitea-$v"
  "$BIN_DIR/gitea-$v" --version
}

# ---------------------------------------------------------------- CRDs from Go modules
# One step for every project whose CRDs the lab serves: the table in crd-modules.txt names the module,
# its pinned version and the path of the CRDs inside it; the module is downloaded through the module
# proxy and the CRDs copied to $CRD_DIR/<name>-<version>/, which `lab up` applies.
fetch_crd_modules() {
  local name module version path files
  while read -r name module version path files; do
    local dest="$CRD_DIR/$name-$version"
    # .complete holds the files column, so a changed selection is fetched again.
    if [[ -f "$dest/.complete" && "$(cat "$dest/.complete")" == "$files" && "${LAB_REBUILD:-0}" != "1" ]]; then
      log "crds $name $version: cached"
      continue
    fi
    check_module "$module@$version"
    local moddir
    moddir=$(cd "$SRC_DIR" && go mod download "$module@$version" >/dev/null 2>&1 && go list -m -f '{{.Dir}}' "$module@$version" 2>/dev/null || true)
    [[ -n "$moddir" && -e "$moddir/$path" ]] || die "crds $name: $path not found in $module@$version (${moddir:-not downloaded})"
    rm -rf "$dest" && mkdir -p "$dest"
    if [[ -d "$moddir/$path" && "$files" != "-" ]]; then
      local f
      for f in ${files//,/ }; do
        [[ -f "$moddir/$path/$f" ]] || die "crds $name: $path/$f not found in $module@$version"
        cp "$moddir/$path/$f" "$dest/"
      done
    elif [[ -d "$moddir/$path" ]]; then
      find "$moddir/$path" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) -exec cp {} "$dest/" \;
    else
      cp "$moddir/$path" "$dest/"
    fi
    chmod -R u+w "$dest"
    printf '%s' "$files" >"$dest/.complete"
    log "crds $name $version: $(find "$dest" -type f -name '*.y*ml' | wc -l) file(s) from $module/$path"
  done < <(crd_modules)
}

if (( WANT_CRDS )); then
  fetch_crd_modules
fi

if (( WANT_CLUSTER )); then
  # Order: small tools first, so seeding tools are usable early; kubernetes last (longest).
  check_module "sigs.k8s.io/kwok@$KWOK_VERSION"
  check_module "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  build_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" \
    "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION"
  build_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" \
    "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
  copy_kwok_stages
  build_etcd
  build_kubernetes
fi
if (( WANT_GITEA )); then
  build_gitea
fi

cat >"$CACHE_DIR/versions.env" <<EOF
LAB_BIN_DIR=$BIN_DIR
LAB_STAGE_DIR=$STAGE_DIR
LAB_K8S_VERSION=$K8S_VERSION
LAB_ETCD_VERSION=$ETCD_VERSION
LAB_KWOK_VERSION=$KWOK_VERSION
LAB_KUSTOMIZE_VERSION=$KUSTOMIZE_VERSION
LAB_GITEA_VERSION=$GITEA_VERSION
LAB_GITEA_ASSETS_DIR=$GITEA_ASSETS_DIR
LAB_CRD_DIR=$CRD_DIR
EOF
log "all binaries ready in $BIN_DIR (total $(( $(date +%s) - START_ALL ))s)"
