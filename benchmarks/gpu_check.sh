#!/usr/bin/env bash
# The one command a GPU machine runs, from a fresh copy of the repository, to check and measure
# the fused kernel (dsconv_lib.gpu) within a time budget:
#
#   benchmarks/gpu_check.sh [--budget SECONDS] [--rehearse] [--tests PYTEST_K_EXPRESSION] [OUTPUT_DIR]
#
# OUTPUT_DIR (default: $OUT) receives
#   gpu_check.log          everything this script printed: the machine, each step, how long it took
#   test_gpu.log           tests/dsconv_lib/gpu/test_gpu.py run on the GPU (pytest -rA)
#   benchmark.log          benchmarks/gpu_dsc.py's table, targets and dispatch entries
#   gpu_dsc_<device>.json  the measurements (dsconv_lib.gpu.results; partial if the budget ran out)
#   fused_faster.json      the dispatch table with this GPU's entries merged in: copy it to
#                          dsconv_lib/gpu/fused_faster.json to let backend="auto" use them
#
# Steps: (1) print the machine: Python, torch, CUDA, the GPU and its compute capability, Triton,
# pytest; (2) install dsconv_lib without dependencies into a scratch folder (pip, offline; if pip
# cannot build it there, a copy of the package, which is pure Python) and put it first on
# PYTHONPATH: the machine's own torch and Triton are used, and nothing is downloaded; (3) run the
# GPU tests with that install, if pytest is importable; (4) run the benchmark with the time that
# is left, minus a margin to write its results (it stops starting layers in time, and writes its
# JSON after every layer in case it is stopped from outside).
#
# --rehearse: the same steps without a GPU: CUDA hidden, TRITON_INTERPRET=1 (Triton's interpreter
# runs the kernel on the CPU), and the benchmark on one tiny layer. tests/dsconv_lib/gpu/
# test_gpu_check.py runs it so that only the GPU itself is left untested.
# --tests: a pytest -k expression that narrows the tests run in step 3 (default: all of them).
set -uo pipefail

budget=480
rehearse=0
tests_k=""
output_dir="${OUT:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --budget) budget="$2"; shift 2 ;;
        --rehearse) rehearse=1; shift ;;
        --tests) tests_k="$2"; shift 2 ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        -*) echo "gpu_check.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) output_dir="$1"; shift ;;
    esac
done
if [ -z "$output_dir" ]; then
    echo "gpu_check.sh: give the output folder as an argument, or set OUT" >&2
    exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
case "$python" in  # the steps below change folder: a relative path to Python must not break
    */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;;
    *) python="$(command -v "$python")" ;;
esac
mkdir -p "$output_dir"
output_dir="$(cd "$output_dir" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
exec > >(tee -a "$output_dir/gpu_check.log") 2>&1

elapsed() { echo $((SECONDS)); }
step() { echo; echo "== [$(elapsed) s of $budget] $*"; }

if [ "$rehearse" = 1 ]; then
    export CUDA_VISIBLE_DEVICES="" TRITON_INTERPRET=1
    benchmark_mode=(--rehearse)
    step "rehearsal: CUDA hidden, TRITON_INTERPRET=1 (Triton's interpreter on the CPU)"
else
    benchmark_mode=(--batches 64 1 --dtypes float32 bfloat16 --repeats 30 --tiles 6)
fi

step "machine"
"$python" - <<'EOF'
import importlib.util, platform, sys
print(f"python {platform.python_version()} ({sys.executable}), {platform.platform()}")
import torch
print(f"torch {torch.__version__}, CUDA build {torch.version.cuda}, CUDA available: {torch.cuda.is_available()}")
if torch.cuda.is_available():
    for i in range(torch.cuda.device_count()):
        print(f"  GPU {i}: {torch.cuda.get_device_name(i)}, compute capability {torch.cuda.get_device_capability(i)}")
for name in ("triton", "pytest"):
    spec = importlib.util.find_spec(name)
    version = __import__(name).__version__ if spec else "not installed"
    print(f"{name}: {version}")
EOF

step "install dsconv_lib without dependencies into $scratch/site"
# Built from a copy of what the package needs, so that the build leaves nothing in the checkout.
mkdir -p "$scratch/source"
cp -R "$repo/pyproject.toml" "$repo/README.md" "$repo/LICENSE" "$repo/dsconv_lib" "$scratch/source/"
if "$python" -m pip install --quiet --no-deps --no-build-isolation --no-index --target "$scratch/site" \
        "$scratch/source" > "$scratch/pip.log" 2>&1; then
    echo "installed with pip"
else
    echo "pip could not install it offline here (last lines of its log below); copying the package instead"
    tail -n 5 "$scratch/pip.log"
    mkdir -p "$scratch/site" && cp -R "$repo/dsconv_lib" "$scratch/site/"
    find "$scratch/site" -name __pycache__ -prune -exec rm -rf {} +
fi
# The steps below run from the scratch folder: make the PYTHONPATH given (e.g. a Triton folder) absolute.
given_path=""
IFS=: read -ra entries <<< "${PYTHONPATH:-}"
for entry in "${entries[@]}"; do
    [ -n "$entry" ] && given_path="${given_path:+$given_path:}$(cd "$entry" 2>/dev/null && pwd || echo "$entry")"
done
export PYTHONPATH="$scratch/site${given_path:+:$given_path}"
(cd "$scratch" && "$python" -c "import dsconv_lib.gpu as g; print('dsconv_lib from', g.__file__)")

step "tests/dsconv_lib/gpu/test_gpu.py"
test_budget=$(( budget / 2 < 240 ? budget / 2 : 240 ))
if (cd "$scratch" && "$python" -c "import pytest" 2>/dev/null); then
    selection=()
    [ -n "$tests_k" ] && selection=(-k "$tests_k")
    # From the scratch folder, so that `import dsconv_lib` finds the install, not the checkout.
    (cd "$scratch" && timeout "$test_budget" "$python" -m pytest -p no:cacheprovider -rA -q \
        --rootdir "$repo" -c "$repo/pyproject.toml" "$repo/tests/dsconv_lib/gpu/test_gpu.py" "${selection[@]}") \
        > "$output_dir/test_gpu.log" 2>&1
    status=$?
    tail -n 3 "$output_dir/test_gpu.log"
    [ "$status" = 124 ] && echo "the tests ran past $test_budget s and were stopped"
    echo "pytest exit status: $status"
else
    echo "pytest is not installed for $python, so the GPU tests were not run; the benchmark below still checks" \
         "every fused result against a float64 reference (errors and tolerance in its JSON)" \
        | tee "$output_dir/test_gpu.log"
fi

left=$(( budget - $(elapsed) - 30 ))
step "benchmarks/gpu_dsc.py with a budget of $left s"
if [ "$left" -le 10 ]; then
    echo "no time left for the benchmark"
else
    cp "$repo/dsconv_lib/gpu/fused_faster.json" "$output_dir/fused_faster.json"  # the table to merge into
    (cd "$scratch" && timeout $(( left + 20 )) "$python" "$repo/benchmarks/gpu_dsc.py" "${benchmark_mode[@]}" \
        --budget-s "$left" --output-dir "$output_dir" --dispatch-table "$output_dir/fused_faster.json") \
        > "$output_dir/benchmark.log" 2>&1
    status=$?
    sed -n '/^targets:/,$p' "$output_dir/benchmark.log"
    echo "benchmark exit status: $status"
    [ "$status" = 0 ] || tail -n 20 "$output_dir/benchmark.log"
fi

step "done; $output_dir holds:"
ls -l "$output_dir"
