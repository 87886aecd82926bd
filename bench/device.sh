#!/usr/bin/env bash
# bench/device.sh: the benchmark on a bare Linux x86-64 machine with an NVIDIA GPU, given only what it
# carries: Node and the Vulkan loader from Debian packages (unpacked here, carried as one archive), the
# compiled fleetsim (dist/) and its production dependencies (one archive), into a carry folder that git
# ignores. There, the NVIDIA driver's own Vulkan ICD (nvidia_icd.json, or libGLX_nvidia.so.0) is used.
#
#   bench/device.sh prepare [DIR]        here: build, download the .debs, assemble DIR (default .device),
#                                        print its size and what the whole transfer will be
#   bench/device.sh run [DIR] [ICD]      there, from the repository root: unpack into /tmp/fleetsim-device,
#                                        print the adapter, run the benchmarks, write the figures to $OUT
#                                        (else bench/results/); ICD = nvidia (default), lavapipe, or a .json
#   bench/device.sh local [DIR] [ICD]    here: the run step in a copy of the tree as the device tool makes
#                                        it (tracked and untracked-not-ignored files plus DIR), in a clean
#                                        environment (env -i) with lavapipe: the end-to-end test
#
# Sizes (environment): FLEETSIM_DEVICE_SIZE=full (default: a few minutes on a GPU) or smoke (minutes
# on lavapipe: what `local` uses). FLEETSIM_DEVICE_ROOT: where the runtime is unpacked (/tmp/fleetsim-device).
#
# Through the device tool (the lead's session; the tree travels with .device, 64 MiB in all):
#   here:  bench/device.sh prepare            (prints the size; must stay under 64 MiB with the tree)
#   run:   carry [".device"], timeout_s 540, command:
#          bash bench/device.sh run .device nvidia
#   The figures come back under files_at: <date>-<gpu>.json (the suite, in the bench/results format the
#   Bench view reads: copy it into bench/results/ and commit), exact.log (GPU against the CPU engine),
#   gpu.log, sweep.log and device.log.
#
# Node: Debian bookworm's nodejs 18 (the newest Debian package that runs on this bookworm machine;
# bookworm-backports has none); fleetsim's code paths used here run on it (bench/NOTES.md, "A real GPU").
# Debian's Node reads four of its built-in modules from /usr/share/nodejs; the run step bind-mounts the
# carried ones there in a private mount namespace (unshare), so nothing on the machine changes.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEP="${1:-}"
DIR="${2:-.device}"
DIR="${DIR%/}"
MARKER=.fleetsim-device # in node_modules/: this script unpacked it (never overwrite a developer's own)

die() {
  echo "bench/device.sh: $*" >&2
  exit 2
}

# The Debian packages: Node 18 and what libnode needs (its JavaScript deps at /usr/share/nodejs too),
# the Vulkan loader, and libglvnd and X11 client libraries that NVIDIA's libGLX_nvidia.so.0 links to
# (a bare image may lack them; the system's own, where present, are equivalent).
NODE_DEBS=(nodejs libnode108 libuv1 libc-ares2 libicu72 libnghttp2-14 libbrotli1 libssl3 zlib1g
  node-acorn node-cjs-module-lexer node-undici)
VULKAN_DEBS=(libvulkan1 libglvnd0 libx11-6 libx11-xcb1 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)

# The newest version of package $1 that a Debian archive offers (not a third-party one installed here).
debian_version() {
  apt-cache madison "$1" 2>/dev/null | awk -F'|' '/debian\.org/ { gsub(/ /, "", $2); print $2; exit }'
}

prepare() {
  cd "$HERE"
  case "$DIR" in /* | ../* | */../* | ..) die "DIR must be a folder inside the repository (it is carried from there): $DIR" ;; esac
  git check-ignore -q "$DIR/x" || die "$DIR is not ignored by git (.gitignore has /.device/; use that or ignore yours)"
  command -v apt-get >/dev/null || die "prepare needs apt-get (a Debian or Ubuntu machine)"
  mkdir -p "$DIR/debs"
  echo "== build (dist/)"
  npm run --silent build
  echo "== reference bits: node dist/bench/gpu.js 1000 1 --paper-only on this machine's adapter"
  # The totals' SHA-256 of a small paper batch, for the run step to compare the device's bits with.
  local refout
  rm -f "$DIR/reference.txt"
  if refout="$(XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" timeout 600 node dist/bench/gpu.js 1000 1 --paper-only 2>/dev/null)"; then
    local sha adapter
    sha="$(sed -n 's/.*totals sha256 \([0-9a-f]*\).*/\1/p' <<<"$refout" | head -1)"
    adapter="$(head -1 <<<"$refout" | cut -d, -f2- | sed 's/, load average.*//')"
    echo "$sha$adapter" >"$DIR/reference.txt"
    echo "   $sha on$adapter"
  else
    echo "   no adapter here: the run step will have no bits to compare with"
  fi
  echo "== Debian packages into $DIR/debs"
  local want=()
  for p in "${NODE_DEBS[@]}" "${VULKAN_DEBS[@]}"; do
    local v
    v="$(debian_version "$p")"
    [ -n "$v" ] || die "apt knows no Debian version of $p: run apt-get update (bookworm sources) first"
    want+=("$p=$v")
  done
  rm -f "$DIR"/debs/*.deb
  (cd "$DIR/debs" && apt-get download -q "${want[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  local n
  n="$(find "$DIR/debs" -name '*.deb' | wc -l)"
  [ "$n" -eq "${#want[@]}" ] || die "downloaded $n of ${#want[@]} packages into $DIR/debs"
  echo "== runtime: the packages unpacked and pruned into $DIR/runtime.tar.gz"
  local stage
  stage="$(mktemp -d)"
  for f in "$DIR"/debs/*.deb; do dpkg-deb -x "$f" "$stage/rt"; done
  # What Node does not load: documentation, headers, ICU's tools and test libraries, OpenSSL engines,
  # the acorn plugins (libnode reads acorn, acorn-walk, cjs-module-lexer and undici only).
  rm -rf "$stage"/rt/usr/share/{doc,man,lintian,bug} "$stage"/rt/usr/include \
    "$stage"/rt/usr/lib/x86_64-linux-gnu/{libicutest,libicutu,libicuio}.so* "$stage"/rt/usr/lib/x86_64-linux-gnu/engines-3
  find "$stage/rt/usr/share/nodejs" -mindepth 1 -maxdepth 1 \
    ! -name acorn ! -name acorn-walk ! -name cjs-module-lexer ! -name undici -exec rm -rf {} +
  [ -x "$stage/rt/usr/bin/node" ] || die "the nodejs package held no usr/bin/node"
  tar -C "$stage" -czf "$DIR/runtime.tar.gz" rt
  rm -rf "$stage"
  rm -rf "$DIR/debs" # unpacked into the archive: not carried twice
  echo "== app: dist/ and the production dependencies into $DIR/app.tar.gz"
  # Every production package (nested ones included in their parent), without the other platforms'
  # dawn.node builds; no dev tools (typescript, vite, vitest…).
  local list
  list="$(npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s|^$HERE/||" | sort -u |
    awk '{ for (i in seen) if (index($0, i "/") == 1) next; seen[$0] = 1; print }')"
  [ -n "$list" ] || die "npm ls found no production dependencies: run npm ci first"
  mkdir -p "$DIR/.marker/node_modules" && touch "$DIR/.marker/node_modules/$MARKER"
  # shellcheck disable=SC2086
  tar -czf "$DIR/app.tar.gz" --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
    --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='*.map' --exclude='node_modules/.bin' \
    dist $list -C "$DIR/.marker" "node_modules/$MARKER"
  rm -rf "$DIR/.marker"
  {
    echo "fleetsim $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src shaders bench || echo ' + changes'), prepared $(date -u +%FT%TZ)"
    printf '%s\n' "${want[@]}"
  } >"$DIR/MANIFEST.txt"
  local tree carry
  tree="$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)"
  carry="$(du -sb "$DIR" | cut -f1)"
  echo "== $DIR: $(du -sh "$DIR" | cut -f1) (runtime $(du -h "$DIR/runtime.tar.gz" | cut -f1), app $(du -h "$DIR/app.tar.gz" | cut -f1))"
  echo "   with the working tree ($((tree / 1048576)) MiB) the transfer is $(((tree + carry) / 1048576)) MiB of the device tool's 64 MiB"
  [ $((tree + carry)) -lt $((64 * 1048576)) ] || die "over the device tool's 64 MiB"
}

# The ICD file for $1 (nvidia, lavapipe, or a path), generated for NVIDIA where only the library is there.
find_icd() {
  case "$1" in
    *.json)
      [ -f "$1" ] || die "no ICD file $1"
      echo "$1"
      ;;
    lavapipe)
      for f in /usr/share/vulkan/icd.d/lvp_icd.json /usr/share/vulkan/icd.d/lvp_icd.x86_64.json; do
        [ -f "$f" ] && echo "$f" && return
      done
      die "no lavapipe ICD (/usr/share/vulkan/icd.d/lvp_icd.json: Debian's mesa-vulkan-drivers)"
      ;;
    nvidia)
      for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
        /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json \
        /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
        [ -f "$f" ] && echo "$f" && return
      done
      # No ICD file: the driver's Vulkan entry points live in libGLX_nvidia.so.0; describe it ourselves.
      local lib
      lib="$( (ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 .*x86-64/ { print $NF; exit }') || true)"
      for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
        [ -z "$lib" ] && [ -f "$d/libGLX_nvidia.so.0" ] && lib="$d/libGLX_nvidia.so.0"
      done
      [ -n "$lib" ] || die "no NVIDIA Vulkan ICD: no nvidia_icd.json in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or /usr/local/nvidia/share/vulkan/icd.d, and no libGLX_nvidia.so.0"
      printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$lib" >"$RT/nvidia_icd.json"
      echo "$RT/nvidia_icd.json"
      ;;
    *) die "ICD must be nvidia, lavapipe or a path to an ICD .json, not '$1'" ;;
  esac
}

# Seconds since the epoch, to the millisecond (date's %N: GNU coreutils, there on any Linux).
now() { date +%s.%3N; }

run_step() {
  cd "$HERE"
  local icd_kind="${3:-${FLEETSIM_ICD:-nvidia}}"
  local size="${FLEETSIM_DEVICE_SIZE:-full}"
  case "$size" in full | smoke) ;; *) die "FLEETSIM_DEVICE_SIZE must be full or smoke, not '$size'" ;; esac
  [ -f "$DIR/runtime.tar.gz" ] && [ -f "$DIR/app.tar.gz" ] || die "no $DIR/runtime.tar.gz and $DIR/app.tar.gz: run 'bench/device.sh prepare $DIR' first and carry $DIR"
  RT="${FLEETSIM_DEVICE_ROOT:-/tmp/fleetsim-device}"
  local out="${OUT:-$HERE/bench/results}"
  mkdir -p "$out"
  # Debian's Node reads acorn, cjs-module-lexer and undici from /usr/share/nodejs: give it the carried
  # ones there, in a private mount namespace (first time through: re-run this step inside one).
  if [ -z "${FLEETSIM_DEVICE_NS:-}" ]; then
    mkdir -p "$RT"
    rm -rf "${RT:?}/rt"
    tar -C "$RT" -xzf "$DIR/runtime.tar.gz"
    # A link to a checkout's node_modules arrives dangling (the device tool sends links as links): drop
    # it. A real node_modules or a live link here is a developer's: never overwrite it.
    if [ -L node_modules ] && [ ! -e node_modules ]; then
      rm node_modules
    elif [ -e node_modules ] && [ ! -e "node_modules/$MARKER" ]; then
      die "node_modules here is not one this script unpacked; run the run step in a copy of the tree (bench/device.sh local, or the device tool)"
    fi
    rm -rf node_modules dist
    tar -xzf "$DIR/app.tar.gz"
    local ns
    for ns in "unshare -m --propagation private" "unshare -r -m --propagation private"; do
      # shellcheck disable=SC2086
      if $ns true 2>/dev/null; then
        export FLEETSIM_DEVICE_NS=1
        # shellcheck disable=SC2086
        exec $ns bash "$HERE/bench/device.sh" run "$DIR" "$icd_kind"
      fi
    done
    [ "$(id -u)" -eq 0 ] || die "cannot make a mount namespace (unshare) and not root: Debian's Node needs /usr/share/nodejs/{acorn,acorn-walk,cjs-module-lexer,undici}"
    echo "no mount namespace: linking the carried modules into /usr/share/nodejs" >&2
    mkdir -p /usr/share/nodejs
    for m in acorn acorn-walk cjs-module-lexer undici; do
      [ -e "/usr/share/nodejs/$m" ] || ln -s "$RT/rt/usr/share/nodejs/$m" "/usr/share/nodejs/$m"
    done
  else
    mkdir -p /usr/share/nodejs
    mount --bind "$RT/rt/usr/share/nodejs" /usr/share/nodejs
  fi

  export PATH="$RT/rt/usr/bin:$PATH"
  local libs="$RT/rt/usr/lib/x86_64-linux-gnu:$RT/rt/lib/x86_64-linux-gnu"
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs="$libs:$d"; done
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
  local icd
  icd="$(find_icd "$icd_kind")"
  export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
  local NODE="$RT/rt/usr/bin/node"
  local log="$out/device.log"
  exec > >(tee "$log") 2>&1

  echo "== bench/device.sh run $(date -u +%FT%TZ), size $size, ICD $icd_kind"
  [ -f "$DIR/MANIFEST.txt" ] && head -1 "$DIR/MANIFEST.txt"
  echo "host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "node: $(command -v node) $("$NODE" --version)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
  echo "ICD: $icd"
  sed 's/^/  /' "$icd"
  echo
  local icdlib
  icdlib="$(sed -n 's/.*"library_path" *: *"\([^"]*\)".*/\1/p' "$icd" | head -1)"
  case "$icdlib" in /*) ;; *) icdlib="$( (ldconfig -p 2>/dev/null | awk -v l="$icdlib" '$1 == l && /x86-64/ { print $NF; exit }') || true)" ;; esac
  if [ -n "$icdlib" ] && [ -f "$icdlib" ]; then
    local missing
    missing="$(ldd "$icdlib" 2>/dev/null | grep 'not found' || true)"
    echo "ICD library: $icdlib${missing:+; MISSING: $missing}"
  fi

  echo "== adapter"
  cat >"$RT/adapter.mjs" <<'EOF'
import { create } from 'webgpu';
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log('no WebGPU adapter');
  process.exit(1);
}
const { vendor, architecture, device, description } = adapter.info;
console.log(JSON.stringify({ vendor, architecture, device, description }));
const l = adapter.limits;
console.log(`limits: maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, maxBufferSize ${l.maxBufferSize}, maxComputeWorkgroupsPerDimension ${l.maxComputeWorkgroupsPerDimension}, maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}`);
process.exit(0);
EOF
  cp "$RT/adapter.mjs" "$HERE/.fleetsim-adapter.mjs" # resolved from the repository's node_modules
  if ! "$NODE" "$HERE/.fleetsim-adapter.mjs"; then
    echo "== no adapter: the Vulkan loader's account (VK_LOADER_DEBUG=error,warn,driver)"
    VK_LOADER_DEBUG=error,warn,driver "$NODE" "$HERE/.fleetsim-adapter.mjs" 2>&1 | tail -40 || true
    rm -f "$HERE/.fleetsim-adapter.mjs"
    exit 1
  fi
  rm -f "$HERE/.fleetsim-adapter.mjs"

  # Sizes: full fits a few minutes on a GPU machine (each part under its own timeout; the suite writes
  # its file only at its end, so its budget keeps every backend's growth short); smoke, a minute or
  # two on lavapipe.
  # Lavapipe compiles the pipelines in tens of seconds (each process anew); NVIDIA's driver in about one.
  local fleets replicates suite sweep_limit exact_fleets
  if [ "$size" = full ]; then
    sweep_limit=60
    exact_fleets=2000
    fleets=100000
    replicates=(20000 200000)
    suite=(--budget 0.5 --repeats 3 --workloads paper-static,paper-roundRobin,paper-adaptive,random16)
  else
    sweep_limit=240
    exact_fleets=200
    fleets=1000
    replicates=(1000)
    suite=(--quick --budget 1 --repeats 1 --workloads paper-static)
  fi
  local t0

  # GPU against the CPU engine on the same batch: arrival totals equal per agent-run (a draw may diverge
  # at a rate below 1e-5 where a driver's rounding meets a threshold: test/gpu-vs-cpu.test.ts), and
  # the largest relative differences of the f32 totals (the named tolerances are ~1e-4).
  echo "== GPU against the CPU engine: $exact_fleets paper fleets × 3 policies, 1,000 steps"
  cat >"$HERE/.fleetsim-exact.mjs" <<'EOF2'
import { runBatchCpu } from './dist/src/cpu/engine.js';
import { GpuEngine } from './dist/src/gpu/engine.js';
import { crossRuns, makeBatch, packFleets } from './dist/src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from './dist/src/model/paper.js';
import { PAPER_POLICIES, POLICY } from './dist/src/model/policies.js';
import { openNodeGpu } from './dist/src/platform/node.js';
const fleets = Number(process.argv[2]);
const specs = Array.from({ length: fleets }, () => ({ agents: PAPER_AGENTS }));
const runs = crossRuns(fleets, PAPER_POLICIES.map((p) => POLICY[p]), 1);
const batch = makeBatch(packFleets(specs), runs, { ...PAPER_CONFIG, arrivals: 'poisson', steps: 1000, seed: 1, signal: 'nominal' });
const gpu = await openNodeGpu();
if (!gpu) throw new Error('no adapter');
const g = await (await GpuEngine.create(gpu.device, gpu.sources)).run(batch);
const c = runBatchCpu(batch);
const rel = (key) => g[key].reduce((m, x, i) => Math.max(m, Math.abs(x - c[key][i]) / Math.max(Math.abs(c[key][i]), 1e-30)), 0);
const differ = g.arrivedSum.reduce((n, x, i) => n + (x === c.arrivedSum[i] ? 0 : 1), 0);
console.log(`arrival totals equal in ${g.arrivedSum.length - differ} of ${g.arrivedSum.length} agent-runs (${differ} differ); ` +
  `largest relative difference: latency ${rel('latencySum').toExponential(1)}, served ${rel('servedSum').toExponential(1)}, queue ${rel('queueSum').toExponential(1)}, share ${rel('shareSum').toExponential(1)}`);
gpu.close();
EOF2
  timeout "$sweep_limit" "$NODE" "$HERE/.fleetsim-exact.mjs" "$exact_fleets" 2>&1 | grep -v '^Warning: ' | tee "$out/exact.log" || echo "the comparison failed or timed out"
  rm -f "$HERE/.fleetsim-exact.mjs"
  if [ -f "$DIR/reference.txt" ]; then
    local refsha ref mine
    read -r refsha ref <"$DIR/reference.txt"
    mine="$( (timeout "$sweep_limit" "$NODE" dist/bench/gpu.js 1000 1 --paper-only 2>/dev/null || true) | sed -n 's/.*totals sha256 \([0-9a-f]*\).*/\1/p' | head -1)"
    if [ "$mine" = "$refsha" ]; then
      echo "bench:gpu, 1,000 paper fleets × 3 policies: totals sha256 $mine, the same bits as $ref where prepared"
    else
      echo "bench:gpu, 1,000 paper fleets × 3 policies: totals sha256 ${mine:-(none)}, NOT the bits of $ref where prepared ($refsha)"
    fi | tee -a "$out/exact.log"
  fi

  # The suite first: its file is the one the Bench view reads, so it must not be what a time limit cuts.
  echo "== the suite: node dist/bench/suite.js ${suite[*]} --out $out"
  # The Python peers are left out (FLEETSIM_PYTHON names none): the device's time is for the GPU.
  local before
  before="$(ls "$out"/*.json 2>/dev/null || true)"
  FLEETSIM_PYTHON=/nonexistent timeout 240 "$NODE" dist/bench/suite.js "${suite[@]}" --out "$out" || echo "the suite failed or timed out"
  local written
  written="$(comm -13 <(echo "$before") <(ls "$out"/*.json 2>/dev/null || true) | head -1)"
  if [ -n "$written" ]; then
    # Named by the card rather than the machine's host name: <date>-<gpu>.json.
    local card
    card="$( (nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1) || true)"
    [ -n "$card" ] || card="$icd_kind"
    card="$(echo "$card" | tr 'A-Z' 'a-z' | sed 's/nvidia //; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')"
    local name
    name="$(basename "$written" | cut -c1-10)-$card$([ "$size" = smoke ] && echo -smoke).json"
    [ "$(basename "$written")" = "$name" ] || mv "$written" "$out/$name"
    echo "== the suite's figures: $out/$name (the bench/results format)"
  fi

  echo "== the narrow kernel alone: node dist/bench/gpu.js $fleets 3 (bench/gpu.ts)"
  t0=$(now)
  {
    timeout 150 "$NODE" dist/bench/gpu.js "$fleets" 3
    timeout 60 "$NODE" dist/bench/gpu.js "$fleets" 3 --paper-only --arrivals=deterministic
  } 2>&1 | tee "$out/gpu.log" || echo "bench/gpu.ts failed or timed out"
  echo "($(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s)"

  echo "== the issue's workload through fleetsim sweep, whole process (paper fleet × 3 policies, Poisson, 1,000 steps)"
  for r in "${replicates[@]}"; do
    local study="$RT/study-$r.json"
    printf '{"name":"device-paper-%s","seed":1,"fleet":{"preset":"paper"},"arrivals":"poisson","steps":1000,"replicates":%s}\n' "$r" "$r" >"$study"
    for backend in gpu cpu; do
      rm -rf "$RT/sweep-out"
      t0=$(now)
      local rc=0
      timeout "$sweep_limit" "$NODE" bin/fleetsim.js sweep "$study" --out "$RT/sweep-out" --quiet --backend "$backend" >"$RT/sweep.txt" 2>&1 || rc=$?
      if [ "$rc" -eq 0 ]; then
        local secs
        secs="$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
        echo "sweep $r replicates, --backend $backend: $secs s, $(awk -v s="$secs" -v r="$r" 'BEGIN { printf "%.1f", r * 12000 / s / 1e6 }') M agent-steps/s whole process" | tee -a "$out/sweep.log"
      else
        echo "sweep $r replicates, --backend $backend: FAILED ($([ "$rc" -eq 124 ] && echo "timed out after $sweep_limit s" || echo "exit $rc"))" | tee -a "$out/sweep.log"
        tail -5 "$RT/sweep.txt" | tee -a "$out/sweep.log"
      fi
    done
  done
  echo "== done: $(cd "$out" && ls | tr '\n' ' ')in $out"
}

local_step() {
  cd "$HERE"
  [ -f "$DIR/runtime.tar.gz" ] || die "no $DIR/runtime.tar.gz: run 'bench/device.sh prepare $DIR' first"
  local sim
  sim="$(mktemp -d /tmp/fleetsim-devsim.XXXXXX)"
  echo "== a copy of the tree as the device tool sends it, in $sim"
  # (A node_modules link, which git lists when it is one, would arrive dangling there: left out here.)
  git ls-files -co --exclude-standard -z | grep -zv '^node_modules$' | xargs -0 cp -P --parents -t "$sim" 2>/dev/null || true
  cp -r --parents "$DIR" "$sim"
  mkdir -p "$sim/out"
  # A clean environment: no node on the PATH but the carried one (this machine's is in /usr/bin, after it).
  env -i PATH=/usr/bin:/bin HOME=/root OUT="$sim/out" FLEETSIM_DEVICE_SIZE="${FLEETSIM_DEVICE_SIZE:-smoke}" \
    FLEETSIM_DEVICE_ROOT="$sim/rt" bash "$sim/bench/device.sh" run "$DIR" "${3:-lavapipe}"
  rm -rf "$sim/rt" "$sim/node_modules" # the unpacked runtime and modules (~200 MB); the figures stay
  echo "== out: $sim/out"
  ls -la "$sim/out"
}

case "$STEP" in
  prepare) prepare ;;
  run) run_step "$@" ;;
  local) local_step "$@" ;;
  *) die "the step must be prepare, run or local (see the header of bench/device.sh)" ;;
esac
