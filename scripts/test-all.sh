#!/usr/bin/env bash
# Sets up everything and runs every test suite: lint, type-check, unit, build, the lab (a real Kubernetes
# control plane and the apps around it), integration, and end-to-end in chromium. Ends with one line
# "N passed, N failed" counting every test of every suite.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
mkdir -p test-results
passed=0
failed=0
summary=()

# The run must leave the work tree as it found it: the status before, compared at the end.
tree_state() { git status --porcelain --untracked-files=all 2>/dev/null; git diff HEAD --binary 2>/dev/null | sha256sum; }
tree_before=$(tree_state || true)
run_start=$(date +%s)
phase_start=$run_start
# Ends a phase: took="Ns" since the previous one ended (every count_* call ends one).
took=
end_phase() { local now; now=$(date +%s); took="$((now - phase_start))s"; phase_start=$now; }
count_check() { # name, exit code
  end_phase
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); summary+=("ok    $1 ($took)"); else failed=$((failed + 1)); summary+=("FAIL  $1 ($took)"); fi
}
count_json() { # name, exit code, json file, kind
  local p f
  if [ -f "$3" ]; then
    read -r p f < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      if (process.argv[2] === "vitest") console.log(r.numPassedTests, r.numFailedTests > 0 ? r.numFailedTests : r.numFailedTestSuites);
      else console.log(r.stats.expected + r.stats.flaky, r.stats.unexpected);
    ' "$3" "$4")
  else
    p=0; f=1
  fi
  if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  end_phase
  summary+=("$( [ "$f" -eq 0 ] && echo "ok  " || echo "FAIL") $1: $p passed, $f failed ($took)")
  # The failed tests by name, so the summary at the end of a long log says which.
  if [ -f "$3" ] && [ "$f" -ne 0 ]; then
    while IFS= read -r line; do summary+=("        $line"); done < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const names = [];
      if (process.argv[2] === "vitest") {
        for (const file of r.testResults) {
          const rel = require("path").relative(process.cwd(), file.name);
          const failed = file.assertionResults.filter((a) => a.status === "failed");
          const why = (a) => String((a.failureMessages ?? [])[0] ?? "").split("\n")[0].slice(0, 200);
          for (const a of failed) names.push(`${rel} > ${a.fullName}`, `  ${why(a)}`);
          if (!failed.length && file.status === "failed") names.push(`${rel}: ${String(file.message).split("\n")[0]}`);
        }
      } else {
        const walk = (s, trail) => {
          const why = (t) => String(t.results?.at(-1)?.error?.message ?? "").replace(/\x1b\[[0-9;]*m/g, "").split("\n")[0].slice(0, 200);
          for (const spec of s.specs ?? []) for (const t of spec.tests ?? []) if (t.status === "unexpected") names.push(`${spec.file}:${spec.line} > ${[...trail, spec.title].join(" > ")}`, `  ${why(t)}`);
          for (const c of s.suites ?? []) walk(c, [...trail, c.title]);
        };
        for (const s of r.suites ?? []) walk(s, []);
      }
      for (const n of names.slice(0, 40)) console.log(n.slice(0, 300));
      if (names.length > 40) console.log(`... and ${(names.length - 40) / 2} more`);
    ' "$3" "$4" 2>/dev/null)
  fi
}

lab_started=0
cleanup() {
  if [ "$lab_started" -eq 1 ] && [ "${KEEP_LAB:-0}" != 1 ]; then
    printf '\n==> Stopping the lab\n'
    npx tsx lab/cli.ts down || true
  fi
}
trap cleanup EXIT

printf '==> Setup\n'
bash scripts/setup.sh
setup_rc=$?
count_check "setup" $setup_rc
if [ $setup_rc -ne 0 ]; then echo "Setup failed; nothing else can run."; echo "$passed passed, $failed failed"; exit 1; fi

printf '\n==> Lint\n'
npx eslint --max-warnings=0 .
count_check "lint" $?

printf '\n==> Type-check\n'
npx tsc --noEmit
count_check "type-check" $?

printf '\n==> Unit tests\n'
npx vitest run --project unit --reporter=default --reporter=json --outputFile=test-results/unit.json
count_json "unit" $? test-results/unit.json vitest

printf '\n==> Build\n'
npm run build
build_rc=$?
count_check "build" $build_rc

printf '\n==> Lab: build the Kubernetes binaries (cached after the first run) and start the lab\n'
lab_rc=0
# The tests' lab is seeded from the owner's fixture and checks its simulators against the API
# descriptions (../shared): without them, one line says which folder is missing.
material=$(npx tsx --eval 'import("./lab/test-material.ts").then((m) => (m.requireTestLabMaterial ?? m.default.requireTestLabMaterial)(process.cwd())).catch((e) => { console.log(e.message); process.exit(1); })') || { lab_rc=1; echo "$material"; }
[ $lab_rc -eq 0 ] && { bash lab/cluster/build-binaries.sh || lab_rc=$?; }
if [ $lab_rc -eq 0 ]; then
  lab_started=1
  LAB_SPEC_CHECKS=1 npx tsx lab/cli.ts up || lab_rc=$?
fi
count_check "lab up" $lab_rc
[ -n "${material:-}" ] && summary+=("        $material (and so no integration or e2e test runs)")

printf '\n==> Integration tests (against the lab)\n'
npx vitest run --project integration --reporter=default --reporter=json --outputFile=test-results/integration.json
count_json "integration" $? test-results/integration.json vitest

if [ $build_rc -eq 0 ]; then
  printf '\n==> End-to-end tests (chromium), the panel running as its deploy/ ServiceAccount\n'
  [ $lab_rc -eq 0 ] && npx tsx lab/cli.ts panel-kubeconfig
  phase_start=$(date +%s)
  npx playwright test
  count_json "e2e" $? test-results/e2e-results.json playwright
else
  failed=$((failed + 1)); summary+=("FAIL  e2e: not run because the build failed")
fi

printf '\n==> Work tree unchanged by the run\n'
tree_after=$(tree_state || true)
if [ "$tree_before" = "$tree_after" ]; then tree_rc=0; else
  tree_rc=1
  echo "The run changed the work tree:"
  diff <(printf '%s\n' "$tree_before") <(printf '%s\n' "$tree_after") | grep '^[<>]' || true
fi
count_check "work tree unchanged" $tree_rc

printf '\n==> Summary (%ss in all)\n' "$(( $(date +%s) - run_start ))"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
