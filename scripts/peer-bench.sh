#!/usr/bin/env bash
# trilm side by side with llama.cpp on the same machine (issue 13; not part
# of CI): llama.cpp is built from the llama-cpp-python sdist on PyPI (once,
# cached in the build directory); a random TriLM checkpoint of SHAPE
# (scripts/make_trilm_checkpoint.py) becomes GGUF TQ2_0 and TQ1_0 files with
# f16 embeddings and output, as trilm keeps them, and trilm libraries of
# both packings; then prefill of 256 tokens and decoding (64 tokens) from an
# empty context and after 256 and 1024 tokens run interleaved, ROUNDS times
# each, and one table prints the medians and the ratios. Both sides keep
# their KV caches in f16 (llama.cpp's default). A second table compares the
# matmuls of each layer shape (M = 1 and 512): ggml's CPU mul_mat
# (scripts/peer/ggml_matmul_bench.c, built against that llama.cpp) against
# trilm-bench, interleaved the same way.
#   scripts/peer-bench.sh [SHAPE=1.1B] [THREADS=2] [ROUNDS=3]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TRILM_BUILD_DIR:-$root/build}"
shape="${1:-1.1B}"
threads="${2:-2}"
rounds="${3:-3}"
version=0.3.36
python="$root/.venv/bin/python"
work="$build/peer"
mkdir -p "$work"

# llama.cpp, from the sdist's vendored tree.
llama="$work/llama_cpp_python-$version/vendor/llama.cpp"
if [[ ! -x "$llama/build/bin/llama-bench" ]]; then
  if [[ ! -d "$llama" ]]; then
    "$python" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
      "llama-cpp-python==$version" -d "$work"
    tar xzf "$work/llama_cpp_python-$version.tar.gz" -C "$work"
  fi
  cmake -S "$llama" -B "$llama/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF > /dev/null
  ninja -C "$llama/build" llama-bench llama-quantize > /dev/null
fi

# The checkpoint, its GGUF files and trilm's libraries.
checkpoint="$work/ckpt-$shape"
[[ -f "$checkpoint/config.json" ]] ||
  "$python" "$root/scripts/make_trilm_checkpoint.py" "$shape" "$checkpoint"
if [[ ! -f "$work/$shape-f16.gguf" ]]; then
  PYTHONPATH="$llama/gguf-py" "$python" "$root/scripts/checkpoint_to_gguf.py" "$checkpoint" \
    "$work/$shape-f16.gguf" --tokenizer "$root/models/tiny-trilm/tokenizer.json"
fi
for type in TQ2_0 TQ1_0; do
  [[ -f "$work/$shape-$type.gguf" ]] ||
    "$llama/build/bin/llama-quantize" --token-embedding-type f16 --output-tensor-type f16 \
      "$work/$shape-f16.gguf" "$work/$shape-$type.gguf" "$type" > /dev/null 2>&1
done
for packing in tq2 tq1; do
  # Recompiled whenever trilm-compile is newer (the model ABI may have changed).
  [[ "$work/$shape-$packing.so" -nt "$build/bin/trilm-compile" ]] ||
    "$build/bin/trilm-compile" "$checkpoint" --emit=lib --cpu=native --activations=int8 --kv-cache=f16 \
      --packing=$packing --weights=external -o "$work/$shape-$packing.so" --quiet
done

# One measurement: tokens/s of llama.cpp or trilm for a case.
llama_rate() { # gguf llama-bench-arguments
  "$llama/build/bin/llama-bench" -m "$1" -t "$threads" -r 1 -o json $2 2> /dev/null |
    "$python" -c "import json,sys; print(json.load(sys.stdin)[0]['avg_ts'])"
}
# trilm's tokens/s, and for decoding the share of the read roof (bytes read
# per token over the time per token, against the roof trilm-run measures at
# that size).
trilm_rate() { # library prompt-tokens decode-tokens test-prefix (pp or tg)
  "$build/bin/trilm-run" "$1" --bench --bench-json --bench-repeats=1 --threads "$threads" \
    --bench-prompt="$2" --bench-decode="$3" |
    "$python" -c "import json,sys
rows=[json.loads(l) for l in sys.stdin if l.strip()]
r=[r for r in rows if r['test'].startswith('$4')][0]
roof=r.get('read_roof_gigabytes_per_second')
print(r['tokens_per_second_median'],
      100*r['read_gigabytes_per_second']/roof if roof else 'nan')"
}

cases=("prefill 256|-p 256 -n 0|256 0|pp"
       "decode, empty context|-p 0 -n 64|1 64|tg"
       "decode after 256|-p 0 -n 64 -d 256|256 64|tg"
       "decode after 1024|-p 0 -n 64 -d 1024|1024 64|tg")
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf "%s shape, %s threads, int8 activations, medians of %s interleaved rounds (tokens/s)\n" \
  "$shape" "$threads" "$rounds"
printf "%-8s %-24s %12s %12s %8s %14s\n" packing case llama.cpp trilm ratio "trilm % roof"
for packing in tq2 tq1; do
  type=$([[ $packing == tq2 ]] && echo TQ2_0 || echo TQ1_0)
  for entry in "${cases[@]}"; do
    IFS='|' read -r name llama_args trilm_args field <<< "$entry"
    ours=() theirs=() roofs=()
    for ((round = 0; round < rounds; ++round)); do
      theirs+=("$(llama_rate "$work/$shape-$type.gguf" "$llama_args")")
      read -r rate roof <<< "$(trilm_rate "$work/$shape-$packing.so" ${trilm_args% *} \
        ${trilm_args#* } "$field")"
      ours+=("$rate") roofs+=("$roof")
    done
    a=$(printf "%s\n" "${theirs[@]}" | median)
    b=$(printf "%s\n" "${ours[@]}" | median)
    # Prefill has no roof share (it is compute-bound): "-".
    c=$(printf "%s\n" "${roofs[@]}" | median |
      awk '{print ($1 == "nan" || $1 == "-nan") ? "-" : sprintf("%.0f%%", $1)}')
    printf "%-8s %-24s %12.2f %12.2f %7.2fx %14s\n" "$packing" "$name" "$a" "$b" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')" "$c"
  done
done

# Per layer: ggml's mul_mat of TQ2_0/TQ1_0 weights (f32 activations, which
# it quantises to q8_K) against trilm's int8 kernel on weights stored as
# compiled models store them: row-interleaved, or 1.6-bit weights as trit
# triples where the target takes the lookup tables (i8 activations;
# trilm-bench's call includes their preparation). Both time the median of REPEATS calls on the
# same working set, after a warm-up call.
ggml_bench="$work/ggml_matmul_bench"
if [[ ! -x "$ggml_bench" || "$root/scripts/peer/ggml_matmul_bench.c" -nt "$ggml_bench" ]]; then
  cc -O2 -o "$ggml_bench" "$root/scripts/peer/ggml_matmul_bench.c" \
    -I"$llama/ggml/include" -L"$llama/build/bin" -lggml -lggml-base -lggml-cpu \
    -Wl,-rpath,"$llama/build/bin"
fi
read -r hidden intermediate <<< "$("$python" -c "import json
c=json.load(open('$checkpoint/config.json'))
print(c['hidden_size'], c['intermediate_size'])")"
layers=("q,k,v,o|$hidden|$hidden" "gate,up|$intermediate|$hidden" "down|$hidden|$intermediate")
ggml_ms() { # type n k m repeats
  "$ggml_bench" "$1" "$2" "$3" "$4" "$threads" "$5"
}
trilm_ms() { # packing n k m repeats
  "$build/bin/trilm-bench" matmul --shapes="$2x$3" -m "$4" --packing="$1" --mode=int8 \
    --num-threads="$threads" --interleave=4 --repeats="$5" |
    awk -F'|' '$2 ~ /custom/ {gsub(/ /, "", $9); print $9}'
}

printf "\nPer layer, %s shape, %s threads: median ms per call over %s interleaved rounds\n" \
  "$shape" "$threads" "$rounds"
printf "%-8s %-8s %-13s %5s %10s %10s %8s\n" packing layer "N x K" M ggml trilm ratio
for packing in tq2 tq1; do
  type=$([[ $packing == tq2 ]] && echo tq2_0 || echo tq1_0)
  for layer in "${layers[@]}"; do
    IFS='|' read -r name n k <<< "$layer"
    for m in 1 512; do
      repeats=$([[ $m == 1 ]] && echo 51 || echo 5)
      ours=() theirs=()
      for ((round = 0; round < rounds; ++round)); do
        theirs+=("$(ggml_ms "$type" "$n" "$k" "$m" "$repeats")")
        ours+=("$(trilm_ms "$packing" "$n" "$k" "$m" "$repeats")")
      done
      a=$(printf "%s\n" "${theirs[@]}" | median)
      b=$(printf "%s\n" "${ours[@]}" | median)
      printf "%-8s %-8s %-13s %5s %10.3f %10.3f %7.2fx\n" "$packing" "$name" "${n}x${k}" "$m" \
        "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
    done
  done
done
