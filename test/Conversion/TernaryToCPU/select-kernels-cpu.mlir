// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4 l2-cache-kib=64" -ternary-select-kernels-cpu -split-input-file | FileCheck %s
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=aarch64-linux-gnu features=+neon,+dotprod" -ternary-select-kernels-cpu="rows=2" -split-input-file | FileCheck %s --check-prefix=NEON
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu="prefetch-bytes=0" -split-input-file | FileCheck %s --check-prefix=NOPREFETCH
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu="panel-min-act-rows=0" -split-input-file | FileCheck %s --check-prefix=NOPANEL
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=aarch64-linux-gnu features=+neon,+dotprod" -ternary-select-kernels-cpu="rows=2 panel-min-act-rows=5" -split-input-file | FileCheck %s --check-prefix=FORCEPANEL
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu" -ternary-select-kernels-cpu="panel-min-act-rows=5" -split-input-file | FileCheck %s --check-prefix=GENERICPANEL
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4 l2-cache-kib=64" -ternary-select-kernels-cpu="lookup-tables=1" -split-input-file | FileCheck %s --check-prefix=TABLES
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu" -ternary-select-kernels-cpu="lookup-tables=1" -split-input-file | FileCheck %s --check-prefix=GENERICTABLES
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu -split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu="lookup-tables=0" -split-input-file | FileCheck %s --check-prefix=OFF

// The target travels in the module; each matmul records the kernel chosen
// for it: a 4-row tile (interleaved weights), 4 activation rows for a
// prompt and 1 for a token (whose blocks are read as 4 streams, with
// prefetches 2 KiB ahead), AVX-512 VNNI, cache blocks from a 64 KiB L2. The
// token's GEMV has too little work (64 KiB of 2-bit weights) to repay a
// thread fork: one block of all 256 rows. The prompt (M unknown) also gets
// the panel kernel from 32 rows on: 32 weight rows by 12 activation rows.
// CHECK: module attributes {dlti.target_system_spec = #dlti.target_system_spec<"CPU" = #dlti.target_device_spec<"L2_cache_size_in_bytes" = 65536 : i64>>, llvm.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver4"
// CHECK-LABEL: func.func @configs
// CHECK: ternary.matmul {{.*}} {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 16, block_act_rows = 32, streams = 1, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>, panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 32>}
// CHECK: ternary.matmul {{.*}} {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 256, block_act_rows = 1, streams = 4, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>>}
// NOPREFETCH-LABEL: func.func @configs
// NOPREFETCH-NOT: prefetch_bytes
// NOPANEL-LABEL: func.func @configs
// NOPANEL-NOT: panel_rows
// FORCEPANEL: kernel_config = #ternary_cpu.matmul_config<rows = 2, {{.*}}int8_dot = neon_dotprod, weight_layout = #ternary.row_interleave<2>>
// GENERICPANEL: kernel_config = #ternary_cpu.matmul_config<{{.*}}int8_dot = generic, {{.*}}panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 5>
// NEON: llvm.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "generic", features = <["+neon", "+dotprod"]>>
// NEON: kernel_config = #ternary_cpu.matmul_config<rows = 2, {{.*}}int8_dot = neon_dotprod, weight_layout = #ternary.row_interleave<2>>
func.func @configs(%x: tensor<?x1024xi8>, %as: tensor<?xf32>, %x1: tensor<1x1024xi8>, %as1: tensor<1xf32>,
                   %w: !ternary.packed<256x1024, tq2>, %s: tensor<1x1xf32>) -> (tensor<?x256xf32>, tensor<1x256xf32>) {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x1024xi8>, !ternary.packed<256x1024, tq2> -> tensor<?x256xf32>
  %z = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<256x1024, tq2> -> tensor<1x256xf32>
  return %y, %z : tensor<?x256xf32>, tensor<1x256xf32>
}

// -----

// Rows that the tile does not divide keep their rows apart.
// CHECK-LABEL: func.func @odd_rows
// CHECK: kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 40, block_act_rows = 1, streams = 1, prefetch_bytes = 2048, int8_dot = avx512_vnni>}
func.func @odd_rows(%x: tensor<1x256xf32>, %w: !ternary.packed<37x256, tq1>, %s: tensor<1x1xf32>) -> tensor<1x37xf32> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf32>, !ternary.packed<37x256, tq1> -> tensor<1x37xf32>
  return %y : tensor<1x37xf32>
}

// -----

// A matmul of no rows computes nothing: its result is an empty tensor.
// CHECK-LABEL: func.func @zero_rows
// CHECK-NOT: ternary.matmul
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0x4xf32>
// CHECK: return %[[E]]
func.func @zero_rows(%x: tensor<0x256xf32>, %w: !ternary.packed<4x256, tq2>, %s: tensor<1x1xf32>) -> tensor<0x4xf32> {
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<0x256xf32>, !ternary.packed<4x256, tq2> -> tensor<0x4xf32>
  return %0 : tensor<0x4xf32>
}

// -----

// A 1.6-bit int8 prompt decodes 2 rows per tile for 8 activation rows, or
// takes the panel kernel from 12 rows on; the weights keep the 4-row
// interleave that the token's GEMV asks for, so both matmuls agree on their
// layout.
// CHECK-LABEL: func.func @tq1_prompt
// CHECK: kernel_config = #ternary_cpu.matmul_config<rows = 2, act_rows = 8, {{.*}}weight_layout = #ternary.row_interleave<4>, panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 12>
// CHECK: kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, {{.*}}weight_layout = #ternary.row_interleave<4>>
func.func @tq1_prompt(%x: tensor<?x1024xi8>, %as: tensor<?xf32>, %x1: tensor<1x1024xi8>, %as1: tensor<1xf32>,
                      %w: !ternary.packed<256x1024, tq1>, %s: tensor<1x1xf32>) -> (tensor<?x256xf32>, tensor<1x256xf32>) {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x1024xi8>, !ternary.packed<256x1024, tq1> -> tensor<?x256xf32>
  %z = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<256x1024, tq1> -> tensor<1x256xf32>
  return %y, %z : tensor<?x256xf32>, tensor<1x256xf32>
}

// -----

// A GEMV with enough work (512 KiB of 2-bit weights) is split into blocks
// that the L2 holds, at least 16 where N allows, for the threads to share.
// CHECK-LABEL: func.func @large_gemv
// CHECK: kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 4, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>>
func.func @large_gemv(%x: tensor<1x1024xi8>, %as: tensor<1xf32>, %w: !ternary.packed<2048x1024, tq2>, %s: tensor<1x1xf32>) -> tensor<1x2048xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<2048x1024, tq2> -> tensor<1x2048xf32>
  return %y : tensor<1x2048xf32>
}

// -----

// With lookup-tables, int8 matmuls of 1.6-bit weights whose N is a multiple
// of 32 store them as trit triples when the relayout can re-lay them
// (constants): tiles of 8 groups of 32 rows (4 or 2 where N has fewer),
// one activation row, vpermw where the target has AVX-512 VBMI (znver4,
// which takes them by default), the portable lookups otherwise; prompts
// from 6 rows on take 64-row panels. Weights that are function arguments,
// that a float matmul also reads, 2-bit weights and N = 80 keep the tiles.
// TABLES-LABEL: func.func @lookup_tables
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 256, act_rows = 1, {{.*}}weight_layout = #ternary.trit_triples, panel_rows = 64, panel_act_rows = 6, panel_min_act_rows = 6, byte_lookup = avx512_vbmi>
// TABLES-NOT: prefetch_bytes = 2048, {{.*}}weight_layout = #ternary.trit_triples
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 256, act_rows = 1, block_rows = 256, block_act_rows = 1, streams = 1, int8_dot = avx512_vnni, weight_layout = #ternary.trit_triples, byte_lookup = avx512_vbmi>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 128, act_rows = 1, {{.*}}weight_layout = #ternary.trit_triples, byte_lookup = avx512_vbmi>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 4, {{.*}}weight_layout = #ternary.row_interleave<4>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 4, {{.*}}weight_layout = #ternary.row_interleave<4>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 4, {{.*}}weight_layout = #ternary.row_interleave<4>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 4, {{.*}}weight_layout = #ternary.row_interleave<4>
// TABLES: kernel_config = #ternary_cpu.matmul_config<rows = 4, {{.*}}weight_layout = #ternary.row_interleave<4>
// DEFAULT-LABEL: func.func @lookup_tables
// DEFAULT: weight_layout = #ternary.trit_triples
// GENERICTABLES-LABEL: func.func @lookup_tables
// GENERICTABLES: kernel_config = #ternary_cpu.matmul_config<rows = 256, act_rows = 1, {{.*}}weight_layout = #ternary.trit_triples>}
// OFF-LABEL: func.func @lookup_tables
// OFF-NOT: trit_triples
func.func @lookup_tables(%x: tensor<?x1024xi8>, %as: tensor<?xf32>, %x1: tensor<1x1024xi8>, %as1: tensor<1xf32>,
                         %f: tensor<1x1024xf32>, %arg: !ternary.packed<4096x1024, tq1>, %s: tensor<1x1xf32>) {
  %w = ternary.constant dense<0> : tensor<4096x208xi8> -> !ternary.packed<4096x1024, tq1>
  %w2 = ternary.constant dense<0> : tensor<128x208xi8> -> !ternary.packed<128x1024, tq1>
  %w3 = ternary.constant dense<0> : tensor<4096x256xi8> -> !ternary.packed<4096x1024, tq2>
  %w4 = ternary.constant dense<0> : tensor<80x208xi8> -> !ternary.packed<80x1024, tq1>
  %w5 = ternary.constant dense<0> : tensor<128x208xi8> -> !ternary.packed<128x1024, tq1>
  %0 = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x1024xi8>, !ternary.packed<4096x1024, tq1> -> tensor<?x4096xf32>
  %1 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<4096x1024, tq1> -> tensor<1x4096xf32>
  %2 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w2 groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<128x1024, tq1> -> tensor<1x128xf32>
  %3 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %arg groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<4096x1024, tq1> -> tensor<1x4096xf32>
  %4 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w5 groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<128x1024, tq1> -> tensor<1x128xf32>
  %5 = ternary.matmul %f, %w5 groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xf32>, !ternary.packed<128x1024, tq1> -> tensor<1x128xf32>
  %6 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w3 groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<4096x1024, tq2> -> tensor<1x4096xf32>
  %7 = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w4 groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x1024xi8>, !ternary.packed<80x1024, tq1> -> tensor<1x80xf32>
  return
}
