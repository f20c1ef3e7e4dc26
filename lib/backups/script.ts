/**
 * The shell script of the backup Jobs and of the restore init container. One script, several
 * actions chosen by `BACKUP_ACTION`, so that every Job the panel creates from a backup CronJob is
 * the CronJob's own template with other environment values (what `kubectl create job --from`
 * gives, plus an action):
 *
 * - `backup`: copies the configuration volume (`BACKUP_SOURCE`, read-only in spirit) into a
 *   scratch tree, SQLite databases through SQLite's online backup (`sqlite3 db ".backup ..."`,
 *   never a torn copy; their -wal/-shm/-journal files are left out), sockets and FIFOs skipped,
 *   `BACKUP_EXCLUDE` paths left out; writes a manifest (path, size, SHA-256 of every file) into
 *   the tree, packs it as `<dir>/<name>-<UTC stamp>.tar.gz` on the backup volume with a `.sha256`
 *   file and the manifest beside it, then applies the retention (`BACKUP_KEEP` archives, and the
 *   last 5 pre-restore ones);
 * - `verify` (the restore drill): the archive's checksum against its `.sha256`, the archive's
 *   listing against the manifest, every extracted file's checksum, the configuration files of
 *   `BACKUP_CHECK` parsed, `PRAGMA integrity_check` of every SQLite file; in a scratch directory;
 * - `preview`: what a restore of the archive would change on the volume (files added, changed,
 *   removed, with sizes), after checking the archive's checksum;
 * - `stage`: checks the archive, then unpacks it into `<volume>/.k8s-nas-panel-restore/staging`
 *   (checking every file) and marks it ready; nothing the app uses is touched;
 * - `apply` (the init container, before the app starts): when a staged restore is ready, waits
 *   until the app's running markers are gone, moves the current files aside, puts the staged ones
 *   in place (keeping the excluded paths), checks them, and says so; on any failure it puts the
 *   files it moved aside back, so the app starts with what it had.
 *
 * Every action ends with one `K8S_NAS_PANEL_RESULT {json}` line (and `verify` prints one
 * `K8S_NAS_PANEL_CHECK` line per check, `preview` one `K8S_NAS_PANEL_PREVIEW` line per file): the
 * panel reads them from the pod's log through the API server. The script runs under busybox
 * (the Alpine image the Jobs use) and under dash with GNU tools (the lab); it needs sh, find, tar,
 * gzip, sha256sum, awk, sed, sort and sqlite3 (for the online backup, the integrity check and JSON).
 *
 * Written without `${...}`, so it can live in this template literal as it is.
 */
export const BACKUP_SCRIPT = String.raw`#!/bin/sh
# k8s-nas-panel backup script (format 1). Actions: backup, verify, preview, stage, apply.
set -e
umask 022

ACTION="$BACKUP_ACTION"
SRC="$BACKUP_SOURCE"
[ -n "$SRC" ] || SRC=/config
ROOT="$BACKUP_ROOT"
[ -n "$ROOT" ] || ROOT=/backups
DIR="$BACKUP_DIR"
NAME="$BACKUP_NAME"
KIND="$BACKUP_KIND"
[ -n "$KIND" ] || KIND=scheduled
KEEP="$BACKUP_KEEP"
[ -n "$KEEP" ] || KEEP=14
SCRATCH="$BACKUP_SCRATCH"
[ -n "$SCRATCH" ] || SCRATCH=/tmp
WAIT="$BACKUP_WAIT_SECONDS"
[ -n "$WAIT" ] || WAIT=60
RESTORE_DIR="$SRC/.k8s-nas-panel-restore"
MANIFEST=.k8s-nas-panel-manifest.json
STEP=start
WORK=""
REL=""

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { echo "$(now) $*"; }
sql_quote() { printf '%s' "$1" | sed "s/'/''/g"; }
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\t\r\n' '   ')"; }
size_of() { wc -c < "$1" | tr -d ' '; }
sha_of() { sha256sum "$1" | awk '{print $1}'; }
is_sqlite() { [ -f "$1" ] && [ "$(head -c 15 "$1" 2>/dev/null)" = "SQLite format 3" ]; }

result() { echo "K8S_NAS_PANEL_RESULT {\"action\":\"$ACTION\",$1}"; }
# fail MESSAGE CODE: says why, prints the failed result line and exits with CODE (1 failed,
# 2 verification failed, 3 called wrongly).
fail() {
  log "failed ($STEP): $1"
  where=""
  [ -n "$REL" ] && where=",\"archive\":$(json_str "$REL")"
  result "\"ok\":false,\"step\":$(json_str "$STEP"),\"error\":$(json_str "$1")$where"
  trap - EXIT
  cleanup
  exit "$2"
}
cleanup() { if [ -n "$WORK" ] && [ -d "$WORK" ]; then rm -rf "$WORK"; fi; }
# A private scratch directory for this run (made when an action needs it).
mkwork() {
  mkdir -p "$SCRATCH"
  WORK="$(mktemp -d "$SCRATCH/k8s-nas-panel.XXXXXX")"
}
on_exit() {
  code=$?
  if [ "$code" -ne 0 ]; then
    result "\"ok\":false,\"step\":$(json_str "$STEP"),\"error\":\"exit code $code at step $STEP\""
  fi
  cleanup
}
trap on_exit EXIT

# The paths of BACKUP_EXCLUDE (relative to the volume), one per line.
excludes() { for x in $BACKUP_EXCLUDE; do printf '%s\n' "$x"; done; }
excluded() {
  p="$1"
  for x in $BACKUP_EXCLUDE; do
    case "$p" in "$x"|"$x"/*) return 0 ;; esac
  done
  return 1
}

# Files and directories of the volume to back up, relative, one per line (no sockets, FIFOs or
# devices; no restore area; no excluded path; no SQLite -wal/-shm/-journal beside a database).
walk() {
  (cd "$SRC" && find . -mindepth 1 \( -type f -o -type d -o -type l \) -print) | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r p; do
    case "$p" in .k8s-nas-panel-restore|.k8s-nas-panel-restore/*) continue ;; esac
    if excluded "$p"; then continue; fi
    case "$p" in
      *-wal|*-shm|*-journal)
        base="$(printf '%s' "$p" | sed 's/-wal$//; s/-shm$//; s/-journal$//')"
        if is_sqlite "$SRC/$base"; then continue; fi ;;
    esac
    printf '%s\n' "$p"
  done
}

# manifest TREE: writes TREE/$MANIFEST for the files under TREE (SQLite marks the databases).
manifest() {
  tree="$1"
  db="$WORK/manifest.db"
  rm -f "$db"
  {
    echo "CREATE TABLE f(path TEXT, size INTEGER, sha256 TEXT, sqlite INTEGER, link TEXT);"
    echo "BEGIN;"
    (cd "$tree" && find . -mindepth 1 \( -type f -o -type l \) -print) | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r p; do
      [ "$p" = "$MANIFEST" ] && continue
      if [ -L "$tree/$p" ]; then
        echo "INSERT INTO f VALUES('$(sql_quote "$p")', 0, '', 0, '$(sql_quote "$(readlink "$tree/$p")")');"
      else
        s=0
        if is_sqlite "$tree/$p"; then s=1; fi
        echo "INSERT INTO f VALUES('$(sql_quote "$p")', $(size_of "$tree/$p"), '$(sha_of "$tree/$p")', $s, NULL);"
      fi
    done
    echo "COMMIT;"
  } | sqlite3 "$db"
  sqlite3 "$db" "SELECT json_object('format', 1, 'service', '$(sql_quote "$BACKUP_SERVICE")', 'kind', '$(sql_quote "$KIND")', 'createdAt', '$(now)', 'source', '$(sql_quote "$SRC")', 'files', (SELECT json_group_array(json_object('path', path, 'size', size, 'sha256', sha256, 'sqlite', json(CASE sqlite WHEN 1 THEN 'true' ELSE 'false' END))) FROM (SELECT * FROM f WHERE link IS NULL ORDER BY path)), 'links', (SELECT json_group_array(json_object('path', path, 'target', link)) FROM (SELECT * FROM f WHERE link IS NOT NULL ORDER BY path)));" > "$tree/$MANIFEST"
}

# The manifest's files as "sha256  path" lines (sha256sum -c input), regular files only.
checklist() {
  cp "$1" "$WORK/m.json"
  sqlite3 "$WORK/m.json.db" "SELECT json_extract(value, '$.sha256') || '  ' || json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.files') WHERE json_extract(value, '$.sha256') <> '';"
  rm -f "$WORK/m.json.db"
}
# The manifest's entries (files and links), one path per line, sorted.
entries() {
  cp "$1" "$WORK/m.json"
  sqlite3 "$WORK/m.json.db" "SELECT json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.files') UNION SELECT json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.links') ORDER BY 1;" | LC_ALL=C sort
  rm -f "$WORK/m.json.db"
}
# The manifest's SQLite files, one per line.
databases() {
  cp "$1" "$WORK/m.json"
  sqlite3 "$WORK/m.json.db" "SELECT json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.files') WHERE json_extract(value, '$.sqlite') = 1;"
  rm -f "$WORK/m.json.db"
}
# The manifest's files as "sha256 size path" lines ("-" for a symbolic link's checksum).
manifest_rows() {
  cp "$1" "$WORK/m.json"
  sqlite3 "$WORK/m.json.db" "SELECT json_extract(value, '$.sha256') || ' ' || json_extract(value, '$.size') || ' ' || json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.files') UNION ALL SELECT '- 0 ' || json_extract(value, '$.path') FROM json_each(CAST(readfile('$WORK/m.json') AS TEXT), '$.links');"
  rm -f "$WORK/m.json.db"
}

# Sets REL to the archive BACKUP_ARCHIVE (relative to the backup volume), or to the newest one of
# BACKUP_DIR for "latest" (pre-restore archives left out).
locate_archive() {
  REL="$BACKUP_ARCHIVE"
  if [ -z "$REL" ] || [ "$REL" = latest ]; then
    [ -n "$DIR" ] || fail "no archive named and no BACKUP_DIR" 3
    REL="$(ls -1 "$ROOT/$DIR" 2>/dev/null | grep '\.tar\.gz$' | grep -v -- '-pre-restore\.tar\.gz$' | LC_ALL=C sort | tail -n 1 || true)"
    [ -n "$REL" ] || fail "no archive in $ROOT/$DIR" 3
    REL="$DIR/$REL"
  fi
  case "$REL" in /*|../*|*/../*|..) fail "archive path $REL leaves the backup volume" 3 ;; esac
}

# check_checksum ARCHIVE_ABS: compares the archive with its .sha256 file.
check_checksum() {
  f="$1"
  [ -f "$f" ] || fail "archive $f does not exist" 3
  [ -f "$f.sha256" ] || fail "the archive has no checksum file $(basename "$f").sha256" 3
  want="$(awk '{print $1; exit}' "$f.sha256")"
  got="$(sha_of "$f")"
  if [ "$want" != "$got" ]; then
    echo "K8S_NAS_PANEL_CHECK {\"check\":\"checksum\",\"ok\":false,\"detail\":\"SHA-256 $got, expected $want\"}"
    fail "checksum mismatch: the archive is not the one that was written (SHA-256 $got, expected $want)" 2
  fi
  echo "K8S_NAS_PANEL_CHECK {\"check\":\"checksum\",\"ok\":true,\"detail\":\"SHA-256 $got\"}"
}

# XML: tags balanced, one root element (comments, CDATA, declarations skipped).
check_xml() {
  awk 'BEGIN { RS = "\001" }
  { s = s $0 }
  END {
    depth = 0; roots = 0
    while ((i = index(s, "<")) > 0) {
      s = substr(s, i + 1)
      if (substr(s, 1, 3) == "!--") { j = index(s, "-->"); if (!j) { print "unterminated comment"; exit 1 } s = substr(s, j + 3); continue }
      if (substr(s, 1, 8) == "![CDATA[") { j = index(s, "]]>"); if (!j) { print "unterminated CDATA"; exit 1 } s = substr(s, j + 3); continue }
      if (substr(s, 1, 1) == "?") { j = index(s, "?>"); if (!j) { print "unterminated declaration"; exit 1 } s = substr(s, j + 2); continue }
      if (substr(s, 1, 1) == "!") { j = index(s, ">"); if (!j) { print "unterminated declaration"; exit 1 } s = substr(s, j + 1); continue }
      j = index(s, ">"); if (!j) { print "unterminated tag"; exit 1 }
      tag = substr(s, 1, j - 1); s = substr(s, j + 1)
      if (substr(tag, 1, 1) == "/") {
        name = substr(tag, 2); sub(/[ \t\r\n]+$/, "", name)
        if (depth == 0 || stack[depth] != name) { print "unexpected closing tag </" name ">"; exit 1 }
        depth--; continue
      }
      self = substr(tag, length(tag), 1) == "/"
      name = tag; sub(/[ \t\r\n\/].*$/, "", name)
      if (name == "") { print "empty tag"; exit 1 }
      if (depth == 0) roots++
      if (!self) stack[++depth] = name
    }
    if (depth != 0) { print "unclosed <" stack[depth] ">"; exit 1 }
    if (roots != 1) { print roots " root elements"; exit 1 }
  }' "$1"
}
# INI: every line a comment, a [section] (or [[subsection]]) or a key = value.
check_ini() {
  awk '{ sub(/\r$/, ""); line = $0; sub(/^[ \t]+/, "", line) }
    line == "" || line ~ /^[;#]/ { next }
    line ~ /^\[+[^]]+\]+[ \t]*$/ { next }
    line !~ /^\[/ && line ~ /^[^=]+=/ { next }
    { print "line " NR " is neither a section, a key = value nor a comment"; exit 1 }' "$1"
}
# YAML: spaces only for indentation, every line a comment, a key, a list item or inside a block.
check_yaml() {
  awk 'BEGIN { block = -1 }
    { sub(/\r$/, "") }
    /^\t/ { print "line " NR " is indented with a tab"; exit 1 }
    { line = $0; ind = match(line, /[^ ]/) - 1; sub(/^ +/, "", line) }
    block >= 0 && (line == "" || ind > block) { next }
    { block = -1 }
    line == "" || line ~ /^#/ || line == "---" || line == "..." || line == "-" { next }
    { item = line; if (item ~ /^- /) { item = substr(item, 3); sub(/^ +/, "", item) } }
    item ~ /^[^ #][^:]*:( |$)/ { if (item ~ /:[ ]*[|>][-+0-9]*$/) block = ind; next }
    line ~ /^- / { next }
    { print "line " NR " is neither a key, a list item nor a comment"; exit 1 }' "$1"
}
check_json() {
  cp "$1" "$WORK/check.json"
  v="$(sqlite3 :memory: "SELECT json_valid(CAST(readfile('$WORK/check.json') AS TEXT));")"
  [ "$v" = 1 ] || { echo "not valid JSON"; return 1; }
}

# BACKUP_CHECK entries "path[|other path]:format" checked in TREE; prints one check line each.
check_configs() {
  tree="$1"
  bad=0
  for entry in $BACKUP_CHECK; do
    paths="$(printf '%s' "$entry" | sed 's/:[a-z]*$//')"
    fmt="$(printf '%s' "$entry" | sed 's/^.*://')"
    case "$fmt" in xml|ini|yaml|json) ;; *) echo "K8S_NAS_PANEL_CHECK {\"check\":\"config\",\"ok\":false,\"file\":$(json_str "$paths"),\"detail\":$(json_str "unknown format $fmt")}"; bad=1; continue ;; esac
    found=""
    for p in $(printf '%s' "$paths" | tr '|' ' '); do
      if [ -f "$tree/$p" ]; then found="$p"; break; fi
    done
    if [ -z "$found" ]; then
      echo "K8S_NAS_PANEL_CHECK {\"check\":\"config\",\"ok\":false,\"file\":$(json_str "$paths"),\"detail\":\"missing from the archive\"}"
      bad=1
      continue
    fi
    if out="$(check_"$fmt" "$tree/$found" 2>&1)"; then
      echo "K8S_NAS_PANEL_CHECK {\"check\":\"config\",\"ok\":true,\"file\":$(json_str "$found"),\"detail\":\"parses as $fmt\"}"
    else
      echo "K8S_NAS_PANEL_CHECK {\"check\":\"config\",\"ok\":false,\"file\":$(json_str "$found"),\"detail\":$(json_str "does not parse as $fmt: $out")}"
      bad=1
    fi
  done
  return $bad
}

do_backup() {
  mkwork
  [ -n "$DIR" ] || fail "BACKUP_DIR is not set" 3
  [ -n "$NAME" ] || NAME=backup
  [ -d "$SRC" ] || fail "the volume $SRC is not mounted" 3
  stamp="$(date -u +%Y%m%d-%H%M%S)"
  suffix=""
  [ "$KIND" = pre-restore ] && suffix="-pre-restore"
  file="$NAME-$stamp$suffix.tar.gz"
  tree="$WORK/tree"
  mkdir -p "$tree"
  STEP=copy
  log "backing up $SRC ($BACKUP_SERVICE) to $ROOT/$DIR/$file"
  walk > "$WORK/walk"
  while IFS= read -r p; do
    if [ -d "$SRC/$p" ] && [ ! -L "$SRC/$p" ]; then mkdir -p "$tree/$p"; continue; fi
    mkdir -p "$tree/$(dirname "$p")"
    if is_sqlite "$SRC/$p"; then
      case "$p" in *'"'*) fail "database path $p has a double quote" 3 ;; esac
      sqlite3 "$SRC/$p" ".timeout 30000" ".backup \"$tree/$p\"" || fail "SQLite's online backup of $p failed" 1
      log "database $p copied with SQLite's online backup"
    else
      cp -p -P "$SRC/$p" "$tree/$p" 2>/dev/null || cp -P "$SRC/$p" "$tree/$p" || fail "cannot copy $p" 1
    fi
  done < "$WORK/walk"
  STEP=manifest
  manifest "$tree"
  STEP=archive
  (cd "$tree" && tar -czf "$WORK/$file" .) || fail "tar failed" 1
  STEP=write
  mkdir -p "$ROOT/$DIR" || fail "cannot create $ROOT/$DIR" 1
  sum="$(sha_of "$WORK/$file")"
  size="$(size_of "$WORK/$file")"
  cp "$WORK/$file" "$ROOT/$DIR/$file.partial" || { rm -f "$ROOT/$DIR/$file.partial"; fail "cannot write the archive to the backup volume" 1; }
  printf '%s  %s\n' "$sum" "$file" > "$ROOT/$DIR/$file.sha256.partial" || { rm -f "$ROOT/$DIR/$file.partial" "$ROOT/$DIR/$file.sha256.partial"; fail "cannot write the checksum file" 1; }
  base="$(printf '%s' "$file" | sed 's/\.tar\.gz$//')"
  { printf '{"archive":{"name":%s,"size":%s,"sha256":"%s"},' "$(json_str "$file")" "$size" "$sum"; tail -c +2 "$tree/$MANIFEST"; } > "$ROOT/$DIR/$base.manifest.json.partial" || { rm -f "$ROOT/$DIR/$file.partial" "$ROOT/$DIR/$file.sha256.partial" "$ROOT/$DIR/$base.manifest.json.partial"; fail "cannot write the manifest" 1; }
  written="$(sha_of "$ROOT/$DIR/$file.partial")"
  [ "$written" = "$sum" ] || { rm -f "$ROOT/$DIR/$file.partial" "$ROOT/$DIR/$file.sha256.partial" "$ROOT/$DIR/$base.manifest.json.partial"; fail "the archive on the backup volume differs from the one written" 1; }
  mv "$ROOT/$DIR/$file.partial" "$ROOT/$DIR/$file"
  mv "$ROOT/$DIR/$file.sha256.partial" "$ROOT/$DIR/$file.sha256"
  mv "$ROOT/$DIR/$base.manifest.json.partial" "$ROOT/$DIR/$base.manifest.json"
  STEP=retention
  removed=0
  for pattern in regular pre-restore; do
    if [ "$pattern" = regular ]; then keep="$KEEP"; list="$(ls -1 "$ROOT/$DIR" | grep '\.tar\.gz$' | grep -v -- '-pre-restore\.tar\.gz$' || true)"
    else keep=5; list="$(ls -1 "$ROOT/$DIR" | grep -- '-pre-restore\.tar\.gz$' || true)"; fi
    count="$(printf '%s\n' "$list" | grep -c . || true)"
    if [ "$count" -gt "$keep" ]; then
      printf '%s\n' "$list" | LC_ALL=C sort | head -n $((count - keep)) | while IFS= read -r old; do
        ob="$(printf '%s' "$old" | sed 's/\.tar\.gz$//')"
        rm -f "$ROOT/$DIR/$old" "$ROOT/$DIR/$old.sha256" "$ROOT/$DIR/$ob.manifest.json"
        log "retention: removed $old"
      done
      removed=$((removed + count - keep))
    fi
  done
  files="$(sqlite3 "$WORK/manifest.db" "SELECT count(*) FROM f WHERE link IS NULL;")"
  bytes="$(sqlite3 "$WORK/manifest.db" "SELECT coalesce(sum(size), 0) FROM f;")"
  dbs="$(sqlite3 "$WORK/manifest.db" "SELECT json_group_array(path) FROM (SELECT path FROM f WHERE sqlite = 1 ORDER BY path);")"
  log "archive $file written: $size bytes, SHA-256 $sum, $files file(s)"
  result "\"ok\":true,\"kind\":$(json_str "$KIND"),\"archive\":$(json_str "$DIR/$file"),\"size\":$size,\"sha256\":\"$sum\",\"files\":$files,\"bytes\":$bytes,\"databases\":$dbs,\"removed\":$removed,\"createdAt\":\"$(now)\""
}

do_verify() {
  mkwork
  STEP=locate
  locate_archive
  rel="$REL"
  f="$ROOT/$rel"
  log "verifying $rel"
  STEP=checksum
  check_checksum "$f"
  bad=0
  STEP=listing
  tar -tzf "$f" > "$WORK/listing" || fail "the archive cannot be read (tar -t failed)" 2
  sed 's|^\./||' "$WORK/listing" | grep -v '/$' | grep -v '^\.\{0,1\}$' | grep -v -x -F "$MANIFEST" | LC_ALL=C sort > "$WORK/listed"
  mkdir -p "$WORK/tree"
  tar -xzf "$f" -C "$WORK/tree" || fail "the archive cannot be unpacked" 2
  [ -f "$WORK/tree/$MANIFEST" ] || fail "the archive holds no manifest" 2
  entries "$WORK/tree/$MANIFEST" > "$WORK/expected"
  missing="$(awk 'NR == FNR { have[$0] = 1; next } !($0 in have) { n++ } END { print n + 0 }' "$WORK/listed" "$WORK/expected")"
  extra="$(awk 'NR == FNR { want[$0] = 1; next } !($0 in want) { n++ } END { print n + 0 }' "$WORK/expected" "$WORK/listed")"
  count="$(grep -c . "$WORK/expected" || true)"
  if [ "$missing" = 0 ] && [ "$extra" = 0 ]; then
    echo "K8S_NAS_PANEL_CHECK {\"check\":\"listing\",\"ok\":true,\"detail\":\"$count file(s), as the manifest lists\"}"
  else
    echo "K8S_NAS_PANEL_CHECK {\"check\":\"listing\",\"ok\":false,\"detail\":\"$missing file(s) of the manifest missing, $extra not in the manifest\"}"
    bad=1
  fi
  STEP=files
  checklist "$WORK/tree/$MANIFEST" > "$WORK/sums"
  if (cd "$WORK/tree" && sha256sum -c "$WORK/sums" > "$WORK/sumcheck" 2>&1); then
    echo "K8S_NAS_PANEL_CHECK {\"check\":\"files\",\"ok\":true,\"detail\":\"every file matches its SHA-256\"}"
  else
    wrong="$(grep -v ': OK$' "$WORK/sumcheck" | head -n 3 | tr '\n' ' ')"
    echo "K8S_NAS_PANEL_CHECK {\"check\":\"files\",\"ok\":false,\"detail\":$(json_str "files differ from the manifest: $wrong")}"
    bad=1
  fi
  STEP=config
  check_configs "$WORK/tree" || bad=1
  STEP=sqlite
  databases "$WORK/tree/$MANIFEST" > "$WORK/dbs"
  while IFS= read -r d; do
    [ -n "$d" ] || continue
    r="$(sqlite3 "$WORK/tree/$d" "PRAGMA integrity_check;" 2>&1 | head -n 5 | tr '\n' ' ' | sed 's/ $//')" || true
    if [ "$r" = ok ]; then
      echo "K8S_NAS_PANEL_CHECK {\"check\":\"sqlite\",\"ok\":true,\"file\":$(json_str "$d"),\"detail\":\"integrity_check: ok\"}"
    else
      echo "K8S_NAS_PANEL_CHECK {\"check\":\"sqlite\",\"ok\":false,\"file\":$(json_str "$d"),\"detail\":$(json_str "integrity_check: $r")}"
      bad=1
    fi
  done < "$WORK/dbs"
  STEP=done
  if [ "$bad" = 0 ]; then
    log "verified: $rel"
    result "\"ok\":true,\"archive\":$(json_str "$rel"),\"files\":$count"
  else
    fail "the archive $rel failed verification" 2
  fi
}

do_preview() {
  mkwork
  STEP=locate
  locate_archive
  rel="$REL"
  f="$ROOT/$rel"
  STEP=checksum
  check_checksum "$f"
  STEP=manifest
  mkdir -p "$WORK/m"
  (cd "$WORK/m" && tar -xzf "$f" "./$MANIFEST" 2>/dev/null) || (cd "$WORK/m" && tar -xzf "$f" "$MANIFEST") || fail "the archive holds no manifest" 2
  manifest_rows "$WORK/m/$MANIFEST" > "$WORK/archived.raw"
  databases "$WORK/m/$MANIFEST" > "$WORK/dbs"
  # A database's copy never has the live file's bytes: databases are compared by their content (.dump).
  if [ -s "$WORK/dbs" ]; then
    mkdir -p "$WORK/db"
    while IFS= read -r d; do (cd "$WORK/db" && tar -xzf "$f" "./$d" 2>/dev/null || tar -xzf "$f" "$d"); done < "$WORK/dbs"
  fi
  while IFS= read -r line; do
    p="$(printf '%s' "$line" | sed 's/^[^ ]* [^ ]* //')"
    if grep -q -x -F -- "$p" "$WORK/dbs" && [ -f "$WORK/db/$p" ]; then
      echo "dump:$(sqlite3 "$WORK/db/$p" .dump | sha256sum | awk '{print $1}') $(printf '%s' "$line" | awk '{print $2}') $p"
    else
      printf '%s\n' "$line"
    fi
  done < "$WORK/archived.raw" > "$WORK/archived"
  STEP=compare
  walk > "$WORK/walk"
  while IFS= read -r p; do
    if [ -L "$SRC/$p" ]; then echo "- 0 $p"
    elif [ -f "$SRC/$p" ] && grep -q -x -F -- "$p" "$WORK/dbs" && is_sqlite "$SRC/$p"; then echo "dump:$(sqlite3 "$SRC/$p" .dump | sha256sum | awk '{print $1}') $(size_of "$SRC/$p") $p"
    elif [ -f "$SRC/$p" ]; then echo "$(sha_of "$SRC/$p") $(size_of "$SRC/$p") $p"
    fi
  done < "$WORK/walk" > "$WORK/current"
  awk '
    function esc(t,   o, c, i) { o = ""; for (i = 1; i <= length(t); i++) { c = substr(t, i, 1); if (c == "\\" || c == "\"") o = o "\\" c; else if (c == "\t") o = o " "; else o = o c } return o }
    function row(line, out) { out["sha"] = line; sub(/ .*/, "", out["sha"]); rest = substr(line, length(out["sha"]) + 2); out["size"] = rest; sub(/ .*/, "", out["size"]); out["path"] = substr(rest, length(out["size"]) + 2) }
    function show(path, change, size, cur) { if (shown < 500) { printf "K8S_NAS_PANEL_PREVIEW {\"path\":\"%s\",\"change\":\"%s\",\"size\":%s,\"currentSize\":%s}\n", esc(path), change, size, cur; shown++ } }
    NR == FNR { row($0, r); cur_sha[r["path"]] = r["sha"]; cur_size[r["path"]] = r["size"]; next }
    { row($0, r); seen[r["path"]] = 1
      if (!(r["path"] in cur_sha)) { added++; show(r["path"], "added", r["size"], "null") }
      else if (cur_sha[r["path"]] != r["sha"]) { changed++; show(r["path"], "changed", r["size"], cur_size[r["path"]]) }
      else same++ }
    END {
      for (p in cur_sha) if (!(p in seen)) { removed++; show(p, "removed", "null", cur_size[p]) }
      printf "%d %d %d %d\n", added, changed, removed, same > "/dev/stderr"
    }' "$WORK/current" "$WORK/archived" 2> "$WORK/counts"
  read -r added changed removed same < "$WORK/counts"
  STEP=done
  result "\"ok\":true,\"archive\":$(json_str "$rel"),\"added\":$added,\"changed\":$changed,\"removed\":$removed,\"unchanged\":$same,\"excluded\":$(json_str "$BACKUP_EXCLUDE")"
}

do_stage() {
  mkwork
  STEP=locate
  locate_archive
  rel="$REL"
  f="$ROOT/$rel"
  STEP=checksum
  check_checksum "$f"
  STEP=unpack
  mkdir -p "$RESTORE_DIR"
  rm -rf "$RESTORE_DIR/staging.tmp" "$RESTORE_DIR/staging" "$RESTORE_DIR/ready"
  mkdir -p "$RESTORE_DIR/staging.tmp"
  if ! tar -xzf "$f" -C "$RESTORE_DIR/staging.tmp"; then
    rm -rf "$RESTORE_DIR/staging.tmp"
    fail "the archive cannot be unpacked onto the volume (full?)" 1
  fi
  [ -f "$RESTORE_DIR/staging.tmp/$MANIFEST" ] || { rm -rf "$RESTORE_DIR/staging.tmp"; fail "the archive holds no manifest" 2; }
  STEP=files
  checklist "$RESTORE_DIR/staging.tmp/$MANIFEST" > "$WORK/sums"
  if ! (cd "$RESTORE_DIR/staging.tmp" && sha256sum -c "$WORK/sums" > /dev/null 2>&1); then
    rm -rf "$RESTORE_DIR/staging.tmp"
    fail "files unpacked on the volume differ from the manifest" 2
  fi
  mv "$RESTORE_DIR/staging.tmp" "$RESTORE_DIR/staging"
  sum="$(sha_of "$f")"
  printf '{"archive":%s,"sha256":"%s","stagedAt":"%s"}\n' "$(json_str "$rel")" "$sum" "$(now)" > "$RESTORE_DIR/ready.tmp"
  mv "$RESTORE_DIR/ready.tmp" "$RESTORE_DIR/ready"
  rm -f "$RESTORE_DIR/failed" "$RESTORE_DIR/applied"
  STEP=done
  log "staged $rel on the volume; it is applied when the app's pod starts again"
  result "\"ok\":true,\"archive\":$(json_str "$rel"),\"sha256\":\"$sum\""
}

# Puts the files moved aside back (after a failed apply).
roll_back() {
  for e in "$SRC"/* "$SRC"/.[!.]* "$SRC"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    [ "$(basename "$e")" = .k8s-nas-panel-restore ] && continue
    rm -rf "$e"
  done
  for e in "$RESTORE_DIR/previous"/* "$RESTORE_DIR/previous"/.[!.]* "$RESTORE_DIR/previous"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    mv "$e" "$SRC/"
  done
}

apply_failed() {
  reason="$1"
  log "restore failed: $reason; putting back what the volume had"
  if roll_back; then
    printf '{"reason":%s,"at":"%s"}\n' "$(json_str "$reason")" "$(now)" > "$RESTORE_DIR/failed"
    rm -rf "$RESTORE_DIR/staging" "$RESTORE_DIR/ready"
    result "\"ok\":false,\"applied\":false,\"rolledBack\":true,\"error\":$(json_str "$reason")"
    trap - EXIT
    cleanup
    exit 0
  fi
  result "\"ok\":false,\"applied\":false,\"rolledBack\":false,\"error\":$(json_str "$reason; putting the previous files back failed too: they are in $RESTORE_DIR/previous")"
  trap - EXIT
  cleanup
  exit 1
}

do_apply() {
  STEP=check
  if [ ! -f "$RESTORE_DIR/ready" ]; then
    log "no staged restore: nothing to do"
    result "\"ok\":true,\"applied\":false"
    return 0
  fi
  archive="$(sed -n 's/.*"archive":"\([^"]*\)".*/\1/p' "$RESTORE_DIR/ready")"
  [ -d "$RESTORE_DIR/staging" ] || { rm -f "$RESTORE_DIR/ready"; fail "a restore is marked ready but nothing is staged" 1; }
  mkwork
  STEP=wait
  for m in $BACKUP_RUNNING_MARKERS; do
    waited=0
    while { [ -e "$SRC/$m" ] || [ -S "$SRC/$m" ]; } && [ "$waited" -lt "$WAIT" ]; do
      [ "$waited" = 0 ] && log "waiting for $m to go away (the app's previous process is still running)"
      sleep 1
      waited=$((waited + 1))
    done
    if [ -e "$SRC/$m" ] || [ -S "$SRC/$m" ]; then log "$m is still there after $WAIT s: taken as left over from a process that did not stop cleanly"; rm -f "$SRC/$m"; fi
  done
  STEP=aside
  rm -rf "$RESTORE_DIR/previous"
  mkdir -p "$RESTORE_DIR/previous"
  for e in "$SRC"/* "$SRC"/.[!.]* "$SRC"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    [ "$(basename "$e")" = .k8s-nas-panel-restore ] && continue
    mv "$e" "$RESTORE_DIR/previous/" || apply_failed "cannot move $(basename "$e") aside"
  done
  STEP=copy
  (cd "$RESTORE_DIR/staging" && tar -cf - .) | (cd "$SRC" && tar -xpf -) || apply_failed "copying the staged files into place failed (volume full?)"
  rm -f "$SRC/$MANIFEST"
  STEP=excluded
  for x in $BACKUP_EXCLUDE; do
    if { [ -e "$RESTORE_DIR/previous/$x" ] || [ -L "$RESTORE_DIR/previous/$x" ]; } && [ ! -e "$SRC/$x" ]; then
      mkdir -p "$SRC/$(dirname "$x")"
      mv "$RESTORE_DIR/previous/$x" "$SRC/$x" || apply_failed "cannot keep the excluded $x"
    fi
  done
  STEP=files
  checklist "$RESTORE_DIR/staging/$MANIFEST" > "$WORK/sums"
  (cd "$SRC" && sha256sum -c "$WORK/sums" > /dev/null 2>&1) || apply_failed "the restored files differ from the archive's manifest"
  STEP=done
  printf '{"archive":%s,"at":"%s"}\n' "$(json_str "$archive")" "$(now)" > "$RESTORE_DIR/applied"
  rm -rf "$RESTORE_DIR/staging" "$RESTORE_DIR/ready" "$RESTORE_DIR/failed"
  log "restored $archive; the files the volume had are kept in $RESTORE_DIR/previous until the next restore"
  result "\"ok\":true,\"applied\":true,\"archive\":$(json_str "$archive")"
}

case "$ACTION" in
  backup) do_backup ;;
  verify) do_verify ;;
  preview) do_preview ;;
  stage) do_stage ;;
  apply) do_apply ;;
  *) fail "unknown BACKUP_ACTION \"$ACTION\" (backup, verify, preview, stage, apply)" 3 ;;
esac
`;

/** Actions of {@link BACKUP_SCRIPT}. */
export const BACKUP_ACTIONS = ["backup", "verify", "preview", "stage", "apply"] as const;
export type BackupAction = (typeof BACKUP_ACTIONS)[number];

/** The script's format: CronJobs carry it in an annotation, so the panel can tell an outdated one. */
export const BACKUP_SCRIPT_FORMAT = "1";
