// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu" -ternary-select-kernels-cpu -ternary-tile-matmul-cpu -split-input-file | FileCheck %s
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu="rows=8 act-rows=2" -ternary-tile-matmul-cpu -split-input-file | FileCheck %s --check-prefix=OPTS
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu -ternary-tile-matmul-cpu -split-input-file | FileCheck %s --check-prefix=ZNVER4
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu l2-cache-kib=64" -ternary-select-kernels-cpu -ternary-tile-matmul-cpu -canonicalize -split-input-file | FileCheck %s --check-prefix=BLOCKS
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=aarch64-linux-gnu features=+neon,+dotprod" -ternary-select-kernels-cpu -ternary-tile-matmul-cpu -split-input-file | FileCheck %s --check-prefix=NEON
// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=znver4" -ternary-select-kernels-cpu="lookup-tables=1" -ternary-tile-matmul-cpu -split-input-file | FileCheck %s --check-prefix=TABLES

// Activations are prepared once; cache blocks of output rows run in parallel
// (here one tile of 4 rows each, a sixteenth of N rounded up to a tile), each
// over cache blocks of activation rows, tiles of output rows and tiles of
// activation rows (4 for int8 2-bit on the default target).
// CHECK-LABEL: func.func @int8_tq2
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x700xi8>, %[[AS:[^:]*]]: tensor<?xf32>, %[[W:[^:]*]]: !ternary.packed<37x700, tq2>, %[[S:[^:]*]]: tensor<2x2xf32>)
// CHECK: %[[P:.*]], %[[SUMS:.*]] = ternary_cpu.prepare_activations %[[X]] groups #ternary.scale_groups<n = [20], k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
// CHECK: scf.forall (%[[TILE:.*]]) in (10)
// CHECK: %[[BLOCK:.*]] = arith.muli %[[TILE]], %{{.*}} : index
// CHECK: scf.for %[[MB:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[M:.*]] = %[[MB]] to %{{.*}} step
// CHECK: %[[N:.*]] = arith.addi %[[BLOCK]], %[[R]] : index
// CHECK: %[[T:.*]] = ternary_cpu.tile_matmul %[[P]] block_sums(%[[SUMS]] : tensor<?x4xi32>) act_scales(%[[AS]] : tensor<?xf32>), %[[W]][%[[M]], %[[N]]] groups #ternary.scale_groups<n = [20], k = [300]> scales(%[[S]] : tensor<2x2xf32>) dot generic : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<4x4xf32>
// CHECK: vector.extract %[[T]][0] : vector<4xf32> from vector<4x4xf32>
// CHECK: vector.transfer_write
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: ternary.matmul
// OPTS-LABEL: func.func @int8_tq2
// OPTS: scf.forall (%{{.*}}) in (5)
// OPTS: ternary_cpu.tile_matmul {{.*}} dot avx512_vnni : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x8xf32>
// With AVX-512 VNNI, M decides at run time between the panel kernel (from
// 32 rows on: blocks of whole 32-row panels, cache blocks of activation
// rows, strips of the output written in place) and the register tiles.
// ZNVER4-LABEL: func.func @int8_tq2
// ZNVER4: %[[P:.*]], %[[SUMS:.*]] = ternary_cpu.prepare_activations
// ZNVER4: %[[M:.*]] = tensor.dim
// ZNVER4: %[[ENOUGH:.*]] = arith.cmpi uge, %[[M]], %{{.*}} : index
// ZNVER4: scf.if %[[ENOUGH]] -> (tensor<?x37xf32>)
// ZNVER4: scf.forall (%{{.*}}) in (2)
// ZNVER4: scf.for %[[MB:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// ZNVER4: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}})
// ZNVER4: %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[MB]], %[[R]]]
// ZNVER4: %[[STRIP:.*]] = ternary_cpu.panel_matmul %[[P]] block_sums(%[[SUMS]] : tensor<?x4xi32>) {{.*}}[%[[MB]], %{{.*}}] {{.*}} dot avx512_vnni panel_rows 32 act_rows 12 into %[[DEST]] : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x?xf32>
// ZNVER4: tensor.insert_slice %[[STRIP]] into %[[OUT]][%[[MB]], %[[R]]]
// ZNVER4: tensor.parallel_insert_slice
// ZNVER4: } else {
// ZNVER4: ternary_cpu.tile_matmul {{.*}} dot avx512_vnni
// NEON-LABEL: func.func @int8_tq2
// NEON: %[[P:.*]], %{{.*}} = ternary_cpu.prepare_activations
// NEON: ternary_cpu.tile_matmul %[[P]] act_scales({{.*}}), {{.*}} dot neon_dotprod
func.func @int8_tq2(%x: tensor<?x700xi8>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<2x2xf32>) -> tensor<?x37xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<n = [20], k = [300]> scales(%s : tensor<2x2xf32>) : tensor<?x700xi8>, !ternary.packed<37x700, tq2> -> tensor<?x37xf32>
  return %y : tensor<?x37xf32>
}

// -----

// A single activation row gets 1-row tiles; f16 results are converted at the
// end; 1.6-bit blocks take 320 prepared positions. A GEMV this small is one
// cache block (one task, no thread fork). 4 divides N = 8, so every tile is
// full: static slices, unmasked writes.
// CHECK-LABEL: func.func @gemv_float_tq1
// CHECK: ternary_cpu.prepare_activations %{{.*}} groups #ternary.scale_groups<tensor> scheme tq1 : tensor<1x300xf16> -> tensor<1x640xf32>
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: tensor.extract_slice %{{.*}}[0, %{{.*}}] [1, 8] [1, 1] : tensor<1x8xf32> to tensor<1x8xf32>
// CHECK: ternary_cpu.tile_matmul {{.*}} : tensor<1x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x4xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<4xf32>, tensor<1x8xf32>
// CHECK: arith.truncf {{.*}} : f32 to f16
func.func @gemv_float_tq1(%x: tensor<1x300xf16>, %w: !ternary.packed<8x300, tq1>, %s: tensor<1x1xf32>) -> tensor<1x8xf16> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x300xf16>, !ternary.packed<8x300, tq1> -> tensor<1x8xf16>
  return %y : tensor<1x8xf16>
}

// -----

// Activations with no rows (even behind a cast) need no kernel.
// CHECK-LABEL: func.func @no_rows
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[E:.*]] = tensor.empty(%[[C0]]) : tensor<?x8xf32>
// CHECK-NOT: scf.forall
// CHECK: return %[[E]]
func.func @no_rows(%x: tensor<0x300xf32>, %w: !ternary.packed<8x300, tq2>, %s: tensor<1x1xf32>) -> tensor<?x8xf32> {
  %xd = tensor.cast %x : tensor<0x300xf32> to tensor<?x300xf32>
  %y = ternary.matmul %xd, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x300xf32>, !ternary.packed<8x300, tq2> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Cache blocks from a 64 KiB L2: 16 output rows (a quarter of L2 of 1024-byte
// weight rows) per parallel iteration, 8 activation rows (half of L2 of
// 4096-byte prepared rows) per activation block.
// BLOCKS-LABEL: func.func @cache_blocks
// BLOCKS-DAG: %[[C8:.*]] = arith.constant 8 : index
// BLOCKS-DAG: %[[C16:.*]] = arith.constant 16 : index
// BLOCKS-DAG: %[[C4:.*]] = arith.constant 4 : index
// BLOCKS: scf.forall (%{{.*}}) in (32)
// BLOCKS: tensor.extract_slice {{.*}} [64, 16] [1, 1] : tensor<64x512xf32> to tensor<64x16xf32>
// BLOCKS: scf.for %[[MB:.*]] = %{{.*}} to %{{.*}} step %[[C8]]
// BLOCKS: %[[END:.*]] = arith.minui
// BLOCKS: scf.for %{{.*}} = %{{.*}} to %[[C16]] step %[[C4]]
// BLOCKS: scf.for %{{.*}} = %[[MB]] to %[[END]] step %[[C4]]
// BLOCKS: ternary_cpu.tile_matmul {{.*}} -> vector<4x4xf32>
// BLOCKS: vector.transfer_write {{.*}} {in_bounds = [true]}
func.func @cache_blocks(%x: tensor<64x4096xi8>, %as: tensor<64xf32>, %w: !ternary.packed<512x4096, tq2>, %s: tensor<1x1xf32>) -> tensor<64x512xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<64xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<64x4096xi8>, !ternary.packed<512x4096, tq2> -> tensor<64x512xf32>
  return %y : tensor<64x512xf32>
}

// -----

// A static M picks one kernel at compile time: 40 rows of 2-bit weights take
// the panel kernel, 24 the register tiles (2-bit panels start at 32).
// ZNVER4-LABEL: func.func @static_prompts
// ZNVER4-NOT: scf.if
// ZNVER4: ternary_cpu.panel_matmul {{.*}} : tensor<40x1024xi8>, !ternary.packed<64x1000, tq2> -> tensor<40x32xf32>
// ZNVER4-NOT: ternary_cpu.panel_matmul
// ZNVER4: ternary_cpu.tile_matmul {{.*}} : tensor<24x1024xi8>, !ternary.packed<64x1000, tq2> -> vector<4x4xf32>
func.func @static_prompts(%x: tensor<40x1000xi8>, %as: tensor<40xf32>, %x1: tensor<24x1000xi8>, %as1: tensor<24xf32>,
                          %w: !ternary.packed<64x1000, tq2>, %s: tensor<1x1xf32>) -> (tensor<40x64xf32>, tensor<24x64xf32>) {
  %y = ternary.matmul %x act_scales(%as : tensor<40xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<40x1000xi8>, !ternary.packed<64x1000, tq2> -> tensor<40x64xf32>
  %z = ternary.matmul %x1 act_scales(%as1 : tensor<24xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<24x1000xi8>, !ternary.packed<64x1000, tq2> -> tensor<24x64xf32>
  return %y, %z : tensor<40x64xf32>, tensor<24x64xf32>
}

// -----

// Weights stored as trit triples: the activations' tables once, then tiles
// of 128 rows (four groups) by one activation row, for a token and for each
// row of a prompt.
// TABLES-LABEL: func.func @lookup_tables
// TABLES: %[[T:.*]] = ternary_cpu.prepare_tables %{{.*}} groups(#ternary.scale_groups<k = [300]>) : tensor<?x700xi8> -> tensor<?x22272xi8>
// TABLES: scf.forall
// TABLES: ternary_cpu.table_matmul %[[T]] act_scales({{.*}}) lookup avx512_vbmi : tensor<?x22272xi8>, !ternary.packed<128x700, tq1, #ternary.trit_triples> -> vector<1x128xf32>
// TABLES: %[[T1:.*]] = ternary_cpu.prepare_tables %{{.*}} : tensor<1x700xi8> -> tensor<1x22272xi8>
// TABLES: ternary_cpu.table_matmul %[[T1]] {{.*}} lookup avx512_vbmi : tensor<1x22272xi8>
// TABLES-NOT: ternary_cpu.tile_matmul
// TABLES-NOT: ternary_cpu.prepare_activations
func.func @lookup_tables(%x: tensor<?x700xi8>, %as: tensor<?xf32>, %x1: tensor<1x700xi8>, %as1: tensor<1xf32>,
                         %w: !ternary.packed<128x700, tq1, #ternary.trit_triples>, %s: tensor<1x2xf32>) -> (tensor<?x128xf32>, tensor<1x128xf32>) {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) : tensor<?x700xi8>, !ternary.packed<128x700, tq1, #ternary.trit_triples> -> tensor<?x128xf32>
  %z = ternary.matmul %x1 act_scales(%as1 : tensor<1xf32>), %w groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) : tensor<1x700xi8>, !ternary.packed<128x700, tq1, #ternary.trit_triples> -> tensor<1x128xf32>
  return %y, %z : tensor<?x128xf32>, tensor<1x128xf32>
}
