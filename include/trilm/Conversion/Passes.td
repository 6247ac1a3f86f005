//===- Passes.td - trilm conversion passes -----------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_PASSES_TD
#define TRILM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLLMToLinalg : Pass<"convert-llm-to-linalg"> {
  let summary = "Reference lowering of the llm dialect to linalg, tensor, math and scf";
  let description = [{
    Lowers every `llm` op to the linalg.generics that compute its
    definition, in f32, with nothing fused, tiled or threaded: attention
    materialises its scores (heads x queries x keys), masks, normalises and
    contracts them with the values; `llm.layers` becomes an `scf.for`.
    `llm.weight` stays: it bufferizes to a `memref.view` of the weights
    buffer.

    Like `convert-ternary-to-linalg`, this lowering is the semantic oracle
    that the target lowerings are tested against.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertLLMToCPU : Pass<"convert-llm-to-cpu"> {
  let summary = "Lower llm ops to vectorised, threaded code for CPUs";
  let description = [{
    Lowers the llm ops for CPU targets, on tensors, in vectors of 16 f32
    lanes, threaded with `scf.forall`:

    - an RMSNorm feeding `ternary.quantize` becomes one pass that computes
      each normalised row twice (for its absmax, then its codes) rather
      than storing it; other RMSNorms, quantisations, residual `arith.addf`s
      and gated activations are one pass over rows each (a polynomial `exp`
      for SiLU);
    - a rotate-half `llm.rope` reads cos/sin tables of the rows' positions,
      computed by one op that CSE and loop-invariant code motion share
      between layers;
    - `llm.attention` runs heads on threads; blocks of query rows (4 in a
      prompt, 1 when decoding) share each key and value load in three passes
      over the visible positions: scores 16 positions at a time from the
      transposed key cache, a masked softmax, and the weighted value rows;
    - `llm.lm_head` runs vocabulary tiles on threads; a group of 4 logits
      from the tile's quarters accumulates independently, and each of the 4
      weight streams is prefetched ahead of its reads
      (`ternary_cpu.prefetch`);
    - the other ops (interleaved RoPE, non-f32 element types) get the
      reference lowering (`convert-llm-to-linalg`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::trilm::ternary_cpu::TernaryCPUDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertTernaryToLinalg : Pass<"convert-ternary-to-linalg"> {
  let summary = "Reference lowering of the ternary dialect to linalg, tensor and arith";
  let description = [{
    Lowers every `ternary` op to upstream dialects in the most direct way:
    packed values become their `i8` storage tensors, `ternary.constant`
    becomes `arith.constant`, unpacking decodes each trit with integer
    arithmetic in a `linalg.generic`, and `ternary.matmul` becomes one
    contraction per K scale group over unpacked trits (exact `i32` sums in int8
    mode) followed by the scaled sum of the groups.

    This lowering favours obviousness over speed: it is the semantic oracle
    against which the fused CPU and GPU lowerings are tested. Layouts other
    than row-major and `#ternary.row_interleave` are rejected.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def TernarySelectKernelsCPU : Pass<"ternary-select-kernels-cpu", "::mlir::ModuleOp"> {
  let summary = "Choose the CPU kernel of every ternary.matmul";
  let description = [{
    The CPU strategy: from the target the module records (`llvm.target`,
    the L2 size in DLTI; see `trilm-attach-cpu-target`), chooses for each
    `ternary.matmul` its register tile, cache blocks, int8 instructions and
    weight layout, and records them as its `kernel_config`
    (`#ternary_cpu.matmul_config`), which every later pass reads:

    - output rows per tile: enough independent accumulators to hide the
      latency of the dot-product instruction (`rows` overrides);
    - activation rows per tile: as many as keep the accumulators within half
      of the vector registers, so that a decoded weight block serves
      several rows (GEMM), at most 4 and at most M (`act-rows` overrides);
    - cache blocks from the L2 size: the prepared activations of an
      activation block take half of it, so that every row tile of the output
      block reads them from L2, and the output block's weights a quarter, so
      that they are still there for the next activation block; output blocks
      are also capped at a sixteenth of N, to balance threads;
    - the int8 dot-product instructions the target's features allow;
    - weights row-interleaved by the tile's rows when they are a power of
      two that divides N, so that a tile streams one contiguous run;
    - for a GEMV (M = 1), which memory bounds, several read streams per
      task and software prefetches a fixed distance ahead of each tile's
      reads (`prefetch-bytes` overrides the distance; 0 turns them off);
    - for int8 GEMMs on AVX-512 VNNI, the panel kernel
      (`ternary_cpu.panel_matmul`) from 32 activation rows on (12 for
      1.6-bit weights), where decoding 32 weight rows once for every
      activation row beats decoding a block per register tile
      (`panel-min-act-rows` overrides the threshold, and with it also
      enables the portable dot products; 0 turns the panel kernel off);
    - on AVX-512 VBMI and VNNI (`lookup-tables` overrides: 1 on, 0 off),
      int8 matmuls of 1.6-bit weights whose N is a multiple of 32 store the
      weights as `#ternary.trit_triples`: GEMVs and prompts of fewer rows
      than the panel kernel's threshold run `ternary_cpu.table_matmul` (up
      to 8 groups of 32 rows of one activation row by table lookups), and
      longer prompts (where N is a multiple of 64) the panel kernel, which
      decodes 64-row panels from the triples. Only weights that `ternary-relayout-weights` will re-lay
      take them (constants, and `ternary.from_storage` with `storage`),
      and only when every matmul that reads them has int8 activations.

    A tile that cannot be honoured, or a module without a target, is an
    error.
  }];
  let options = [
    Option<"rowsPerTile", "rows", "int64_t", /*default=*/"0",
           "Output rows per tile, 1 to 16; 0 picks it from the target">,
    Option<"actRowsPerTile", "act-rows", "int64_t", /*default=*/"0",
           "Activation rows per tile, 1 to 16; 0 picks it from the register "
           "budget">,
    Option<"prefetchBytes", "prefetch-bytes", "int64_t", /*default=*/"-1",
           "How far ahead a GEMV's tiles prefetch their weights, 0 to 65536 "
           "bytes (0: no prefetches); -1 picks it from the target">,
    Option<"panelMinActRowsOption", "panel-min-act-rows", "int64_t",
           /*default=*/"-1",
           "The fewest activation rows an int8 GEMM takes the panel kernel "
           "for (0: never); -1 picks it from the target">,
    Option<"lookupTables", "lookup-tables", "int64_t", /*default=*/"-1",
           "Store int8 1.6-bit weights as trit triples and multiply them by "
           "table lookups: 1 on, 0 off, -1 from the target">,
    Option<"relayoutStorage", "storage", "bool", /*default=*/"false",
           "Weights read by ternary.from_storage will be re-laid too (as "
           "ternary-relayout-weights' storage option), so that they may "
           "take trit triples">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::trilm::ternary_cpu::TernaryCPUDialect"];
}

def TernaryTileMatmulCPU : Pass<"ternary-tile-matmul-cpu"> {
  let summary = "Tile ternary.matmul into register tiles for the CPU kernels";
  let description = [{
    Rewrites each `ternary.matmul` into

    - one `ternary_cpu.prepare_activations` (the activations rearranged
      once per call for the kernels: per K scale group, in decode order),
      and
    - an `scf.forall` over cache blocks of output rows (the unit of thread
      parallelism), containing loops over cache blocks of activation rows,
      over tiles of output rows and over tiles of activation rows, each tile
      computed by one `ternary_cpu.tile_matmul` and written to the result,

    with the tile and block sizes and the instructions of the matmul's
    `kernel_config` (`ternary-select-kernels-cpu` chooses them). K is not
    split: a tile keeps each K scale group's exact sums in registers. A
    matmul without a configuration is an error; one whose weights have a
    layout other than row-major or row-interleaved is left to the reference
    lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::trilm::ternary::TernaryDialect",
    "::trilm::ternary_cpu::TernaryCPUDialect",
  ];
}

def ConvertTernaryToCPU : Pass<"convert-ternary-to-cpu"> {
  let summary = "Fused unpack-and-accumulate: CPU kernel ops to vector code";
  let description = [{
    Lowers `ternary.tile_matmul` to loops over K scale groups and 256-trit
    blocks in which each packed block is loaded once as a vector, decoded in
    registers (2-bit: 16-bit shifts and masks; 1.6-bit: qs and qh bytes
    together as one 64-byte vector, base-3 digits by byte adds and
    compares) and accumulated, never materialising unpacked weights:

    - int8 activations: exact i32 dot products (`ternary.dot4`) of the codes
      (trit + 1) with the activations, corrected by the per-block activation
      sums, or of the signed trits for `neon_dotprod`;
    - float activations: decoded trits converted to f32 and fused
      multiply-added.

    Scales are applied once per group and output row, as `ternary.matmul`
    defines. `ternary.prepare_activations` becomes a gather in a
    `linalg.generic` (plus a reduction for the block sums). Row-major and
    `#ternary.row_interleave` weights are read in place. The other ternary
    ops (and untiled matmuls) get the reference lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::trilm::ternary_cpu::TernaryCPUDialect",
  ];
}

def MemRefCopyToLinalg : Pass<"memref-copy-to-linalg"> {
  let summary = "Rewrite strided memref.copy as linalg.copy";
  let description = [{
    Bufferization copies strided views (slices of a fused projection, rows
    of a KV cache) with `memref.copy`, which the LLVM lowering turns into a
    call to `memrefCopy` from MLIR's C runner library. This pass rewrites
    every `memref.copy` that has a non-identity layout on either side into
    `linalg.copy`, which becomes loops, so that compiled models need only
    libc. Copies between identity layouts stay: they lower to `memcpy`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ConvertTernaryToGPU : Pass<"convert-ternary-to-gpu"> {
  let summary = "Choose the GPU kernel of every ternary.matmul";
  let description = [{
    The GPU strategy for matmuls, on tensors: each `ternary.matmul` with f16
    activations, f32 results and 2-bit or 1.6-bit row-major weights (from
    `ternary.from_storage` or `ternary.constant`) becomes a
    `ternary_gpu.matmul` on the weights' storage bytes, writing into a new
    tensor, with its tile decomposition (`#ternary_gpu.matmul_config`), the
    one recorded as the matmul's `kernel_config` if there is one, else:

    - K's 256-trit blocks are split between warps (a power of two, at most
      8) only as far as needed for about 31 warps per streaming
      multiprocessor (`multiprocessors`: the chip's, per chip in
      `trilm-gpu-pipeline`), so that a matrix of few rows still spreads its
      bytes over the whole chip;
    - row tiles whose K is not split share thread blocks of 8 warps
      (`row_tiles`);
    - a split of at most 4 blocks loads them all at once
      (`blocks_per_step`), a longer one streams them two per step, the next
      step's loads issued before the current step is computed.

    The choice was measured on an H200 over the TriLM layer shapes
    (docs/gpu.md). 2-bit matmuls also get the prompt kernel for batches of
    16 rows or more (`prompt_rows`, `prompt_stages`): the most activation
    rows per thread block (64, 32 or 16) that still give every
    multiprocessor a thread block at a batch of 128, and 4 stages in flight
    (fewer when K has fewer quarter blocks); an estimate from occupancy, not
    yet measured.

    `warps`, `row-tiles`, `blocks-per-step`, `prompt-rows` and
    `prompt-stages` override the choice. With
    `round-activations`, f32 activations are rounded to f16 for the kernel
    (TriRun's precision: whole models on the GPU take it); without it they
    are an error. A matmul these kernels cannot compute (int8 activations,
    relaid weights, weights computed in the program) is an error naming
    why.
  }];
  let options = [
    Option<"roundActivations", "round-activations", "bool", /*default=*/"false",
           "Round f32 activations to f16 for the kernels">,
    Option<"multiprocessors", "multiprocessors", "int64_t", /*default=*/"132",
           "Streaming multiprocessors of the target GPU (trilm-gpu-pipeline: "
           "the most of its chips'); matmuls spread over about 31 warps per "
           "SM">,
    Option<"warps", "warps", "int64_t", /*default=*/"0",
           "Warps per thread block (0: from the shape)">,
    Option<"rowTiles", "row-tiles", "int64_t", /*default=*/"0",
           "Tiles of 16 weight rows per thread block (0: from the shape)">,
    Option<"blocksPerStep", "blocks-per-step", "int64_t", /*default=*/"0",
           "Blocks whose loads a warp issues at once (0: from the shape)">,
    Option<"promptRows", "prompt-rows", "int64_t", /*default=*/"0",
           "Activation rows per thread block of the prompt kernel (0: from "
           "the shape; -1: no prompt kernel)">,
    Option<"promptStages", "prompt-stages", "int64_t", /*default=*/"0",
           "Stages the prompt kernel keeps in flight (0: from the shape)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
    "::trilm::ternary_gpu::TernaryGPUDialect",
  ];
}

def TernaryGPUGenerateKernels : Pass<"ternary-gpu-generate-kernels", "::mlir::ModuleOp"> {
  let summary = "Generate the tensor-core kernels of ternary_gpu.matmul ops";
  let description = [{
    Replaces every bufferized `ternary_gpu.matmul` with a `gpu.launch_func`
    of a kernel generated for its shape, scale groups and configuration, in
    the `gpu.module` `@ternary_gpu_kernels` (matmuls that agree on all of
    them share a kernel). The kernel is built from `gpu`, `nvgpu`, `vector`,
    `arith`, `memref` and `scf` ops:

    - a warp computes a tile of 16 weight rows and 8 activation rows (a
      thread block holds `row_tiles` of them, each split along K between
      `warps / row_tiles` warps) with `mma.sync` m16n8k16 (f16 in, f32
      accumulate, four independent accumulator chains), the weights as the
      A operand, so that a decoding batch of up to 8 rows is one B operand;
    - a warp's blocks are loaded `blocks_per_step` at a time, the next
      step's loads issued before the current step is computed;
    - every thread loads 16 contiguous packed bytes of each of its two
      weight rows per 256-trit block (128-bit loads; the four threads of a
      row read its whole 64-byte block) and decodes them into A fragments
      in registers: `(word & (3 << 2l) per byte pair) | 0x6400` is the f16
      value 1024 + code * 4^l, and one f16x2 fma by 4^-l minus
      (1024 * 4^-l + 1) gives the trits exactly, the -1 zero point folded;
    - the K order inside a block is the packing's: the activations are read
      in the same permuted order (two f16 pairs per B fragment), so the
      weights need no reshuffling;
    - K scale groups are summed separately and scaled per group and row in
      f32; blocks cut by a group boundary or the end of K read their
      activations with masks;
    - the splits' partial sums are added through shared memory.

    Buffers must be device memory: views of the function's arguments (the
    caller's device buffers) or of `gpu.alloc` results
    (`trilm-gpu-device-buffers` places a function's own buffers there); any
    other operand is an error.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def TrilmGPUDeviceBuffers : Pass<"trilm-gpu-device-buffers", "::mlir::ModuleOp"> {
  let summary = "Place the host functions' buffers in GPU memory";
  let description = [{
    In a program whose every memory access runs in GPU kernels, the buffers
    its host functions allocate must be device memory: each `memref.alloc`
    of a host function becomes a `gpu.alloc` and each `memref.dealloc` a
    `gpu.dealloc`, in the stream-ordered (async) form the GPU runtime
    lowering takes, waited for at once. A constant global the host function
    reads (a table of constants bufferization made) is copied into a device
    buffer at the function's entry and freed at its returns. A global that
    is not constant, or a stack allocation, is an error naming it.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TrilmGPUMapLoops : Pass<"trilm-gpu-map-loops", "::mlir::ModuleOp"> {
  let summary = "Map the host functions' loops onto GPU blocks and threads";
  let description = [{
    Prepares the loops of bufferized host functions for
    `convert-parallel-loops-to-gpu`, so that every memory access runs on the
    GPU:

    - a memory access outside any `scf.parallel` (a loop nest that is all
      reduction, or a lone load or store) is wrapped, with its enclosing
      loops up to the first that also launches work, in a one-iteration
      `scf.parallel`: one thread runs it;
    - each outermost `scf.parallel` is tiled so that its innermost dimension
      is spread over up to `threads` threads of a block (consecutive
      threads read consecutive elements), and mapped: that dimension's
      tiles to the grid's x, the next two outer dimensions to y and z, the
      rest to sequential loops in each thread.

    A memory access whose result the host code itself uses (a loop bound, a
    branch) cannot run on the GPU and is an error.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per block along the innermost dimension">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def TrilmGPUMergeKernelModules : Pass<"trilm-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Gather every GPU kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel in a `gpu.module` of its own.
    This pass moves the contents of every `gpu.module` into the first one
    and updates the `gpu.launch_func` ops that name them (a symbol that
    would clash is renamed), so that a program carries one GPU binary: one
    PTX module per chip for `ptxas`, one module for the driver to load.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // TRILM_CONVERSION_PASSES_TD
