#!/usr/bin/env bash
# The viewer's frame rate at the issue's target load: a 512x512 phi^4 field, 100 Langevin steps
# per frame (adaptive pace off), in the headless mode on whatever adapter wgpu picks (a hardware
# GPU where one exists; lavapipe here), under Xvfb when there is no display. Start-up (adapter,
# pipelines, window) is taken out by differencing two runs of N and 3N frames:
#   fps = 2N / (t(3N) - t(N)).
#   benches/viewer_fps.sh [N]     (default N = 20)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
cargo build --quiet --release -p idf-viewer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/fps.yaml" <<SCENE
title: viewer fps (512x512, 100 steps per frame)
model: phi4
size: [512, 512]
integrator: langevin
temperature: 0.5
step_size: 0.05
seed: 1
steps: 100000
steps_per_frame: 100
SCENE
display=()
[ -z "${DISPLAY:-}" ] && display=(xvfb-run -a -s "-screen 0 1400x900x24")
run() {
    local start end
    start=$(date +%s%N)
    NODEVICE_SELECT=1 "${display[@]}" target/release/idf-viewer --scene "$work/fps.yaml" \
        --frames "$1" --size 1400x900 --screenshot "$work/shot.png" >/dev/null 2>&1
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))e-3
}
short=$(run "$n")
long=$(run $((3 * n)))
python3 - "$n" "$short" "$long" <<'PY'
import sys
n, short, long = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
fps = 2 * n / (long - short)
print(f"viewer at 512x512, 100 steps/frame: {n} frames in {short:.2f} s, {3*n} in {long:.2f} s "
      f"-> {fps:.1f} frames/s ({100 * fps:.0f} steps/s); target >= 60 frames/s on a hardware GPU")
PY
