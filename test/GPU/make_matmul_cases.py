#!/usr/bin/env python3
"""Writes the matmul cases of the GPU check: an MLIR module with one host
function per case (a ternary.matmul on f16 activations and 2-bit weights
given as buffers) and a C++ table describing the same cases.

Usage: make_matmul_cases.py [--sweep] OUT.mlir OUT.h
"""
import sys

# name, N, K, row splits, row block, col splits, col block, scale type, role
# role: "check" cases are compared with a reference at several M; "bench"
# cases (the per-layer matmuls of the 1.1B and 3.9B TriLM shapes, q/k/v and
# gate/up stacked as the model IR stacks them) are also timed; "variant"
# cases (--sweep) are bench cases with another kernel configuration.
CASES = [
    ("odd_splits", 40, 600, [17], 0, [300], 0, "f32", "check"),
    ("one_block", 17, 256, [], 0, [], 0, "f32", "check"),
    ("unaligned_k", 33, 333, [], 0, [], 0, "f16", "check"),
    ("gguf_blocks", 100, 1000, [], 1, [], 256, "f16", "check"),
    ("bf16_scales", 70, 1792, [35], 0, [768, 1024], 0, "bf16", "check"),
    ("mid_block_splits", 48, 1100, [], 0, [100, 700, 701], 0, "f32", "check"),
    # The prompt kernel computes M >= 16 of every 2-bit case: above, K of one
    # to three blocks, K not a multiple of 8, K groups cutting blocks; here
    # odd N with K groups on block boundaries and GGUF-style block scales.
    ("prompt_odd_rows", 100, 1280, [37], 0, [512], 0, "f32", "check"),
    ("prompt_gguf_blocks", 72, 1024, [], 1, [], 256, "f16", "check"),
    ("qkv_1b", 6144, 2048, [2048, 4096], 0, [], 0, "f32", "bench"),
    ("o_1b", 2048, 2048, [], 0, [1024], 0, "f32", "bench"),
    ("gate_up_1b", 11264, 2048, [5632], 0, [], 0, "f32", "bench"),
    ("down_1b", 2048, 5632, [], 0, [2816], 0, "f32", "bench"),
    ("qkv_4b", 9216, 3072, [3072, 6144], 0, [], 0, "f32", "bench"),
    ("o_4b", 3072, 3072, [], 0, [], 0, "f32", "bench"),
    ("gate_up_4b", 18432, 3072, [9216], 0, [], 0, "f32", "bench"),
    ("down_4b", 3072, 9216, [], 0, [4608], 0, "f32", "bench"),
    # Large enough (128 MiB packed) that fixed costs per launch vanish: the
    # kernel's streaming rate.
    ("stream", 65536, 8192, [], 0, [], 0, "f32", "bench"),
]


# 1.6-bit (TQ1) weights, read by the decoding kernel at every M: odd shapes,
# cut blocks, and TriLM layer shapes.
TQ1_CASES = [
    ("tq1_odd_splits", 40, 600, [17], 0, [300], 0, "f32", "check"),
    ("tq1_gguf_blocks", 100, 1000, [], 1, [], 256, "f16", "check"),
    ("tq1_o_1b", 2048, 2048, [], 0, [1024], 0, "f32", "bench"),
    ("tq1_gate_up_4b", 18432, 3072, [9216], 0, [], 0, "f32", "bench"),
]


# With --sweep, each bench case also runs with these kernel configurations
# (warps, row tiles, blocks per step), recorded as its kernel_config.
SWEEP = [(8, 1, 1), (8, 1, 2), (8, 1, 4), (8, 2, 2), (8, 2, 4), (8, 4, 2),
         (8, 4, 4), (8, 8, 2), (4, 1, 4), (4, 2, 4), (4, 4, 4), (16, 2, 2),
         (16, 4, 4), (16, 8, 2)]
# ... and these prompt kernel configurations (activation rows, stages),
# timed at M = 16 and 128 only.
PROMPT_SWEEP = [(16, 4), (32, 4), (48, 4), (64, 4), (64, 3), (64, 2), (32, 6)]
PROMPT_SWEEP_DECODING = (8, 1, 2)


def groups_attr(rs, rb, cs, cb):
    parts = []
    if rs:
        parts.append("n = [%s]" % ", ".join(map(str, rs)))
    if rb:
        parts.append("n = block %d" % rb)
    if cs:
        parts.append("k = [%s]" % ", ".join(map(str, cs)))
    if cb:
        parts.append("k = block %d" % cb)
    return "#ternary.scale_groups<%s>" % (", ".join(parts) or "tensor")


def num_groups(splits, block, size):
    if block:
        return -(-size // block)
    return len(splits) + 1


def cases(sweep):
    for case in CASES:
        yield case + (None, "tq2")
        if sweep and case[-1] == "bench":
            for config in SWEEP:
                name = "%s_w%dr%du%d" % ((case[0],) + config)
                yield (name,) + case[1:-1] + ("variant", config, "tq2")
            for prompt in PROMPT_SWEEP:
                name = "%s_p%ds%d" % ((case[0],) + prompt)
                yield (name,) + case[1:-1] + (
                    "prompt_variant", PROMPT_SWEEP_DECODING + prompt, "tq2")
    for case in TQ1_CASES:
        yield case + (None, "tq1")


def main():
    sweep = "--sweep" in sys.argv
    paths = [arg for arg in sys.argv[1:] if arg != "--sweep"]
    mlir, header = [], []
    names = []
    for name, n, k, rs, rb, cs, cb, st, role, config, scheme in cases(sweep):
        names.append(name)
        rb_bytes = -(-k // 256) * (52 if scheme == "tq1" else 64)
        gn, gk = num_groups(rs, rb, n), num_groups(cs, cb, k)
        x = "memref<?x%dxf16>" % k
        w = "memref<%dx%dxi8>" % (n, rb_bytes)
        s = "memref<%dx%dx%s>" % (gn, gk, st)
        y = "memref<?x%dxf32>" % n
        packed = "!ternary.packed<%dx%d, %s>" % (n, k, scheme)
        kernel_config = ""
        if config is not None:
            kernel_config = (" {kernel_config = #ternary_gpu.matmul_config<"
                             "warps = %d, row_tiles = %d, blocks_per_step = %d"
                             % config[:3])
            if len(config) > 3:
                kernel_config += ", prompt_rows = %d, prompt_stages = %d" % config[3:]
            kernel_config += ">}"
        mlir.append(f"""
func.func @{name}(%x: {x}, %w: {w}, %s: {s}, %y: {y}) attributes {{llvm.emit_c_interface}} {{
  %xt = bufferization.to_tensor %x restrict : {x} to tensor<?x{k}xf16>
  %wt = bufferization.to_tensor %w restrict : {w} to tensor<{n}x{rb_bytes}xi8>
  %st = bufferization.to_tensor %s restrict : {s} to tensor<{gn}x{gk}x{st}>
  %p = ternary.from_storage %wt : tensor<{n}x{rb_bytes}xi8> -> {packed}
  %r = ternary.matmul %xt, %p groups {groups_attr(rs, rb, cs, cb)} scales(%st : tensor<{gn}x{gk}x{st}>){kernel_config} : tensor<?x{k}xf16>, {packed} -> tensor<?x{n}xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x{n}xf32>, {y}) -> ()
  return
}}""")
        header.append(
            '  {"%s", %d, %d, {%s}, %d, {%s}, %d, ScaleType::%s, Role::%s, %s, _mlir_ciface_%s},'
            % (name, n, k, ", ".join(map(str, rs)), rb, ", ".join(map(str, cs)),
               cb, st, role, "true" if scheme == "tq1" else "false", name))
    with open(paths[0], "w") as out:
        out.write("// Generated by make_matmul_cases.py.\n")
        out.write("\n".join(mlir) + "\n")
    with open(paths[1], "w") as out:
        out.write("// Generated by make_matmul_cases.py.\n")
        for name in names:
            out.write("extern \"C\" void _mlir_ciface_%s(MemRefDescriptor *, "
                      "MemRefDescriptor *, MemRefDescriptor *, "
                      "MemRefDescriptor *);\n" % name)
        out.write("static const MatmulCase kCases[] = {\n")
        out.write("\n".join(header) + "\n};\n")


if __name__ == "__main__":
    main()
