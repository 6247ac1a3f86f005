// RUN: trilm-opt %s -convert-ternary-to-cpu -split-input-file | FileCheck %s

// The weights are read block by block as vectors and decoded in registers:
// no tensor of unpacked weights (37 x 700) exists anywhere.
// CHECK-LABEL: func.func @tile_int8_tq2
// CHECK-SAME: %[[W:[^:]*]]: tensor<37x192xi8>
// CHECK-NOT: 37x700x
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read %[[W]]{{.*}} : tensor<37x192xi8>, vector<64xi8>
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: arith.shrui {{.*}} : vector<32xi16>
// CHECK: arith.andi {{.*}} : vector<64xi8>
// CHECK: ternary_cpu.dot4 avx512_vnni unsigned_lhs {{.*}} : vector<64xi8> -> vector<16xi32>
// The 8 accumulators of the 2 x 4 tile are summed by a transposed tree.
// CHECK: vector.shuffle {{.*}} : vector<16xi32>, vector<16xi32>
// CHECK: arith.subi {{.*}} : vector<8xi32>
// CHECK: arith.sitofp {{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: vector.shape_cast {{.*}} : vector<8xf32> to vector<2x4xf32>
// CHECK-NOT: 37x700x
func.func @tile_int8_tq2(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<2x2xf32>, %m: index, %n: index) -> vector<2x4xf32> {
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%m, %n] groups #ternary.scale_groups<n = [20], k = [300]> scales(%s : tensor<2x2xf32>) dot avx512_vnni : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x4xf32>
  return %t : vector<2x4xf32>
}

// -----

// 1.6-bit: the 48 qs and 4 qh bytes are read by one load masked to 52 bytes and
// decoded digit by digit on bytes (q * 3 by adds, the digit by two compares);
// float activations are fused multiply-added.
// CHECK-LABEL: func.func @tile_float_tq1
// CHECK-NOT: 8x300x
// CHECK: %[[MASK:.*]] = vector.constant_mask [52] : vector<64xi1>
// CHECK: %[[BYTES:.*]] = vector.transfer_read {{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<8x104xi8>, vector<64xi8>
// CHECK: arith.cmpi uge, %[[BYTES]], {{.*}} : vector<64xi8>
// CHECK: arith.sitofp {{.*}} : vector<64xi8> to vector<64xf32>
// CHECK: vector.fma {{.*}} : vector<64xf32>
// CHECK-NOT: 8x300x
func.func @tile_float_tq1(%p: tensor<2x640xf32>, %w: !ternary.packed<8x300, tq1>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p, %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<2x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// Preparation gathers each position from the activations; int8 adds the
// per-block sums.
// CHECK-LABEL: func.func @prepare
// CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x1024xi8>)
// CHECK: tensor.extract %{{.*}} : tensor<?x700xi8>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[P]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 256] : tensor<?x1024xi8> into tensor<?x4x256xi8>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[E]] : tensor<?x4x256xi8>) outs(%{{.*}} : tensor<?x4xi32>)
func.func @prepare(%x: tensor<?x700xi8>) -> (tensor<?x1024xi8>, tensor<?x4xi32>) {
  %p, %sums = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
  return %p, %sums : tensor<?x1024xi8>, tensor<?x4xi32>
}

// -----

// A 2-bit GEMV tile masks the fields in place (no shifts per block); each
// field's accumulator is shifted right by 2l once per group.
// CHECK-LABEL: func.func @gemv_int8_tq2
// CHECK-NOT: arith.shrui
// CHECK: arith.andi {{.*}} : vector<64xi8>
// CHECK: ternary_cpu.dot4 generic unsigned_lhs {{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: scf.yield
// CHECK: arith.shrsi {{.*}} : vector<16xi32>
// CHECK: arith.shrsi {{.*}} : vector<16xi32>
// CHECK: arith.shrsi {{.*}} : vector<16xi32>
func.func @gemv_int8_tq2(%p: tensor<1x256xi8>, %sums: tensor<1x1xi32>, %as: tensor<1xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<1x1xi32>) act_scales(%as : tensor<1xf32>), %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<1x256xi8>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// A 1.6-bit GEMV tile reads each block with one load masked to its 52 bytes
// and never forms the digits: it multiplies the bytes by 3 (two adds) five
// times and dots each product with two digits' activations, into two chains
// combined as (3 * chain 0 - chain 1) >> 8 once per group.
// CHECK-LABEL: func.func @gemv_int8_tq1
// CHECK: %[[MASK:.*]] = vector.constant_mask [52] : vector<64xi1>
// CHECK: %[[Q0:.*]] = vector.transfer_read {{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<8x52xi8>, vector<64xi8>
// CHECK: %[[TWICE:.*]] = arith.addi %[[Q0]], %[[Q0]] : vector<64xi8>
// CHECK: %[[Q1:.*]] = arith.addi %[[TWICE]], %[[Q0]] : vector<64xi8>
// CHECK-NOT: arith.cmpi
// CHECK: ternary_cpu.dot4 generic unsigned_lhs %{{.*}}, %[[Q0]], %{{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: ternary_cpu.dot4 generic unsigned_lhs %{{.*}}, %[[Q1]], %{{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: ternary_cpu.dot4 generic unsigned_lhs %{{.*}}, %[[Q1]], %{{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: scf.yield
// CHECK: %[[TRIPLED:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: %[[SUM:.*]] = arith.subi %[[TRIPLED]], %{{.*}} : vector<16xi32>
// CHECK: arith.shrsi %[[SUM]], %{{.*}} : vector<16xi32>
func.func @gemv_int8_tq1(%p: tensor<1x320xi8>, %sums: tensor<1x1xi32>, %as: tensor<1xf32>, %w: !ternary.packed<8x256, tq1>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<1x1xi32>) act_scales(%as : tensor<1xf32>), %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<1x320xi8>, !ternary.packed<8x256, tq1> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// A K group of more than 822 blocks could overflow the carry form's i32
// sums, so it keeps the digit-by-digit decode.
// CHECK-LABEL: func.func @gemv_int8_tq1_long_group
// CHECK: arith.cmpi uge, {{.*}} : vector<64xi8>
// CHECK-NOT: arith.muli {{.*}} : vector<16xi32>
func.func @gemv_int8_tq1_long_group(%p: tensor<1x263360xi8>, %sums: tensor<1x823xi32>, %as: tensor<1xf32>, %w: !ternary.packed<8x210688, tq1>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<1x823xi32>) act_scales(%as : tensor<1xf32>), %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<1x263360xi8>, !ternary.packed<8x210688, tq1> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// Block-aligned groups are prepared by padding and a fixed permutation:
// plain copies and a transpose (2-bit) or slice copies (1.6-bit).
// CHECK-LABEL: func.func @prepare_aligned
// CHECK-NOT: tensor.extract %
// CHECK: linalg.copy ins(%{{.*}} : tensor<?x700xf32>) outs(%{{.*}} : tensor<?x700xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x3x2x4x32xf32>) outs(%{{.*}} : tensor<?x3x4x2x32xf32>) permutation = [0, 1, 3, 2, 4]
// CHECK: linalg.copy ins(%{{.*}} : tensor<?x3x5x32xi8>)
// CHECK: linalg.copy ins(%{{.*}} : tensor<?x3x5x16xi8>)
// CHECK: linalg.copy ins(%{{.*}} : tensor<?x3x4x4xi8>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x3x5x64xi8> into tensor<?x960xi8>
func.func @prepare_aligned(%x: tensor<?x700xf32>, %q: tensor<?x700xi8>) -> (tensor<?x768xf32>, tensor<?x960xi8>, tensor<?x3xi32>) {
  %p = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<k = [512]> scheme tq2 : tensor<?x700xf32> -> tensor<?x768xf32>
  %p1, %sums = ternary_cpu.prepare_activations %q groups #ternary.scale_groups<n = [4]> scheme tq1 : tensor<?x700xi8> -> tensor<?x960xi8>, tensor<?x3xi32>
  return %p, %p1, %sums : tensor<?x768xf32>, tensor<?x960xi8>, tensor<?x3xi32>
}

// -----

// Float 2-bit: 16 packed bytes at a time become i32 lanes, each field 16 f32
// trits, fused multiply-added with 16 activations.
// CHECK-LABEL: func.func @tile_float_tq2
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : tensor<8x64xi8>, vector<16xi8>
// CHECK: %[[L:.*]] = arith.extui %[[B]] : vector<16xi8> to vector<16xi32>
// CHECK: %[[T:.*]] = ternary_cpu.trits_to_f32 avx512_vnni %[[L]] shift 0 : vector<16xi32> -> vector<16xf32>
// CHECK: vector.fma %[[T]], {{.*}} : vector<16xf32>
// CHECK: ternary_cpu.trits_to_f32 avx512_vnni %[[L]] shift 6
// CHECK-NOT: vector<64xf32>
func.func @tile_float_tq2(%p: tensor<1x256xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p, %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot avx512_vnni : tensor<1x256xf32>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// With a prefetch distance, each block's run of 4 interleaved rows (4 cache
// lines) is prefetched 1024 bytes ahead in the storage, clamped to its last
// byte; the storage is addressed as one run of bytes.
// CHECK-LABEL: func.func @gemv_prefetch
// CHECK-SAME: %[[W:[^:]*]]: tensor<2x512xi8>
// CHECK: %[[BYTES:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0, 1]] : tensor<2x512xi8> into tensor<1024xi8>
// CHECK: scf.for
// CHECK: %[[BYTE:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK-NOT: arith.divui
// CHECK: ternary_cpu.prefetch %[[BYTES]][%[[BYTE]]] : tensor<1024xi8>
// CHECK-COUNT-3: ternary_cpu.prefetch %[[BYTES]]
// CHECK-NOT: ternary_cpu.prefetch
// CHECK: scf.yield
func.func @gemv_prefetch(%p: tensor<1x512xi8>, %sums: tensor<1x2xi32>, %as: tensor<1xf32>, %w: !ternary.packed<8x512, tq2, #ternary.row_interleave<4>>, %s: tensor<1x1xf32>, %n: index) -> vector<1x4xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<1x2xi32>) act_scales(%as : tensor<1xf32>), %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic prefetch 1024 : tensor<1x512xi8>, !ternary.packed<8x512, tq2, #ternary.row_interleave<4>> -> vector<1x4xf32>
  return %t : vector<1x4xf32>
}

// -----

// The panel kernel: each prepared block of the strip's rows is decoded 16
// rows at a time, transposed in dwords (four rounds of shuffles) and stored
// in the panel, 4 codes of 16 rows per vector; then every 12 rows of dest
// (whole blocks first, then the partial one) run, per K group, a loop over
// chunks of 64 positions and in it one over their 16 quads, each taking 2
// code vectors and one broadcast 4-byte group per row into 24 dot products;
// then the block sums, the group's scales and the act scales. dest has 20
// columns: the second vector of each row is written masked.
// CHECK-LABEL: func.func @panel_int8_tq2
// CHECK-SAME: %[[DEST:[^:]*]]: tensor<?x20xf32>
// CHECK-NOT: 37x700x
// CHECK: %[[PANEL:.*]] = tensor.empty() : tensor<256x128xi8>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[PANEL]])
// CHECK: vector.transfer_read {{.*}} : tensor<37x192xi8>, vector<64xi8>
// CHECK-COUNT-4: vector.shuffle {{.*}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23] : vector<16xi32>, vector<16xi32>
// CHECK: vector.transfer_write {{.*}} : vector<64xi8>, tensor<256x128xi8>
// CHECK: %[[WHOLE:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[DEST]])
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<256x128xi8>, vector<64xi8>
// CHECK: vector.transfer_read {{.*}} : tensor<?x1024xi8>, vector<4xi8>
// CHECK: vector.broadcast {{.*}} : vector<1xi32> to vector<16xi32>
// CHECK-COUNT-2: ternary_cpu.dot4 avx512_vnni unsigned_lhs {{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: tensor.extract %{{.*}} : tensor<?x4xi32>
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?x20xf32>
// CHECK: vector.transfer_write %{{[^ ]*}}, %{{[^ ]*}}[%{{[^ ]*}}, %{{[^ ]*}}] : vector<16xf32>, tensor<?x20xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[WHOLE]])
// CHECK: arith.minui
// CHECK-NOT: 37x700x
func.func @panel_int8_tq2(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x20xf32>, %i: index) -> tensor<?x20xf32> {
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x20xf32>
  return %t : tensor<?x20xf32>
}

// -----

// The tables: per row and triple, three broadcast activations times the
// digits of the 27 indices, as i16 lanes. The kernel: per word of three
// triples one load of each triple's table for all four groups, each
// group's words shifted to the second and third triple and looked up in
// the three tables, into i16 sums; widened to i32 after each half block.
// With prefetch, each half block's lines are asked for ahead of it.
// CHECK-LABEL: func.func @lookup_tables
// CHECK: scf.for
// CHECK: arith.muli {{.*}} : vector<32xi16>
// CHECK: vector.bitcast {{.*}} : vector<32xi16> to vector<64xi8>
// CHECK: vector.transfer_write
// CHECK: scf.for
// CHECK: scf.for
// CHECK: ternary_cpu.prefetch
// CHECK: scf.for
// CHECK-COUNT-3: vector.transfer_read {{.*}} : tensor<1x5568xi8>, vector<64xi8>
// CHECK: vector.transfer_read {{.*}} : tensor<4x1856xi8>, vector<64xi8>
// CHECK: %[[WORDS:.*]] = vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: arith.shrui %[[WORDS]]
// CHECK: arith.shrui %[[WORDS]]
// CHECK-COUNT-3: ternary_cpu.lookup avx512_vbmi {{.*}} : vector<32xi16>
// CHECK: arith.addi {{.*}} : vector<32xi16>
// CHECK: arith.extsi {{.*}} : vector<32xi16> to vector<32xi32>
// CHECK-NOT: ternary_cpu.table_matmul
func.func @lookup_tables(%x: tensor<1x256xi8>, %as: tensor<1xf32>, %w: !ternary.packed<128x256, tq1, #ternary.trit_triples>, %s: tensor<1x1xf32>, %n: index) -> vector<1x128xf32> {
  %c0 = arith.constant 0 : index
  %t = ternary_cpu.prepare_tables %x groups(#ternary.scale_groups<tensor>) : tensor<1x256xi8> -> tensor<1x5568xi8>
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<1xf32>), %w[%c0, %n] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup avx512_vbmi prefetch 1024 : tensor<1x5568xi8>, !ternary.packed<128x256, tq1, #ternary.trit_triples> -> vector<1x128xf32>
  return %r : vector<1x128xf32>
}
