#!/usr/bin/env bash
# IDF's molecular capsule against LAMMPS on the same Lennard-Jones system, in one invocation:
# N = 4000 (fcc 10x10x10), rho = 0.8442, T = 0.72, r_c = 2.5 (plain cut), skin 0.3, dt = 0.005,
# velocity Verlet (NVE), 1000 steps. LAMMPS runs serial; IDF's CPU path runs on one thread (per
# core) and on every core, and on the GPU adapter wgpu finds (lavapipe on these machines). Times
# are of the step loops alone: LAMMPS's "Loop time", IDF's `loop_ms`; the CPU figures are the
# medians of three interleaved rounds.
#   benches/compare_lammps.sh            the reported figures (1000 steps)
#   benches/compare_lammps.sh --quick    100 steps (a smoke run)
# Installs Debian's lammps package when `lmp` is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=1000
[ "${1:-}" = "--quick" ] && steps=100
if ! command -v lmp >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq lammps >/dev/null
fi
cargo build --quiet --release --bin idf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/in.lj" <<LAMMPS
units lj
atom_style atomic
lattice fcc 0.8442
region box block 0 10 0 10 0 10
create_box 1 box
create_atoms 1 box
mass 1 1.0
velocity all create 0.72 87287 loop geom
pair_style lj/cut 2.5
pair_coeff 1 1 1.0 1.0 2.5
neighbor 0.3 bin
neigh_modify delay 0 every 1 check yes
fix 1 all nve
timestep 0.005
thermo 100
run $steps
LAMMPS
lammps() {
    (cd "$work" && OMP_NUM_THREADS=1 lmp -in in.lj -log none -screen none -log lammps.log >/dev/null)
    awk '/^Loop time of/ {print $4}' "$work/lammps.log"
}
idf() {
    ./target/release/idf molecular --particles 4000 --density 0.8442 --temperature 0.72 \
        --integrator verlet --cutoff 2.5 --skin 0.3 --dt 0.005 --steps "$steps" \
        --record-every "$steps" --out "$work/idf.json" "$@" >/dev/null 2>&1
    python3 -c "import json; print(json.load(open('$work/idf.json'))['loop_ms'] / 1e3)"
}
# Three rounds, each running LAMMPS and IDF back to back, so a slow spell of a shared machine
# falls on both; the medians are reported.
lammps_s=(); one=(); all=()
for round in 1 2 3; do
    lammps_s+=("$(lammps)")
    one+=("$(RAYON_NUM_THREADS=1 idf --backend cpu)")
    all+=("$(idf --backend cpu)")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
gpu=$(idf --backend gpu || echo nan)
cores=$(nproc)
echo "rounds (s): LAMMPS ${lammps_s[*]}; IDF 1 thread ${one[*]}; IDF $cores threads ${all[*]}"
python3 - "$steps" "$(median "${lammps_s[@]}")" "$(median "${one[@]}")" "$(median "${all[@]}")" "$gpu" "$cores" <<'PY'
import sys
steps, lammps, one, every, gpu, cores = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
rate = lambda s: 4000 * steps / s
print(f"Lennard-Jones N=4000 rho=0.8442 T=0.72 rc=2.5, {steps} NVE steps (CPU: medians of 3 rounds)")
print(f"{'code':<28}{'wall s':>10}{'atom-steps/s':>16}{'vs LAMMPS':>12}")
for name, s in [("LAMMPS serial", lammps), ("IDF CPU, 1 thread", one),
                (f"IDF CPU, {cores} threads", every), ("IDF GPU adapter", gpu)]:
    print(f"{name:<28}{s:>10.3f}{rate(s):>16.3e}{lammps / s:>11.2f}x")
per_core = rate(every) / cores
print(f"IDF CPU per core ({cores} threads): {per_core:.3e} atom-steps/s, "
      f"{per_core / rate(lammps):.2f}x LAMMPS serial")
PY
