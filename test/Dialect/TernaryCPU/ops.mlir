// RUN: trilm-opt %s | FileCheck %s
// RUN: trilm-opt %s | trilm-opt | FileCheck %s
// RUN: trilm-opt %s -emit-bytecode | trilm-opt | FileCheck %s

// CHECK-LABEL: func.func @cpu_kernel_ops
// CHECK: %[[P:.*]], %[[SUMS:.*]] = ternary_cpu.prepare_activations %{{.*}} groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
// CHECK: ternary_cpu.tile_matmul %[[P]] block_sums(%[[SUMS]] : tensor<?x4xi32>) act_scales(%{{.*}} : tensor<?xf32>), %{{.*}}[%{{.*}}, %{{.*}}] groups #ternary.scale_groups<k = [300]> scales(%{{.*}} : tensor<1x2xf32>) dot avx512_vnni : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x4xf32>
// CHECK: %[[F:.*]] = ternary_cpu.prepare_activations %{{.*}} groups #ternary.scale_groups<tensor> scheme tq1 : tensor<3x300xbf16> -> tensor<3x640xf32>
// CHECK: ternary_cpu.tile_matmul %[[F]], %{{.*}}[%{{.*}}, %{{.*}}] groups #ternary.scale_groups<tensor> scales(%{{.*}} : tensor<1x1xf16>) dot generic prefetch 512 : tensor<3x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x8xf32>
func.func @cpu_kernel_ops(%q: tensor<?x700xi8>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>,
                          %x: tensor<3x300xbf16>, %w1: !ternary.packed<8x300, tq1>, %s1: tensor<1x1xf16>, %i: index) {
  %p, %sums = ternary_cpu.prepare_activations %q groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x4xf32>
  %f = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq1 : tensor<3x300xbf16> -> tensor<3x640xf32>
  %u = ternary_cpu.tile_matmul %f, %w1[%i, %i] groups #ternary.scale_groups<tensor> scales(%s1 : tensor<1x1xf16>) dot generic prefetch 512 : tensor<3x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x8xf32>
  return
}

// CHECK-LABEL: func.func @panel_matmul
// CHECK: ternary_cpu.panel_matmul %{{.*}} block_sums(%{{.*}} : tensor<?x4xi32>) act_scales(%{{.*}} : tensor<?xf32>), %{{.*}}[%{{.*}}, %{{.*}}] groups #ternary.scale_groups<k = [300]> scales(%{{.*}} : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %{{.*}} : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x?xf32>
func.func @panel_matmul(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x?xf32>, %i: index) -> tensor<?x?xf32> {
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x?xf32>
  return %t : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @trits_to_f32
// CHECK: ternary_cpu.trits_to_f32 avx512_vnni %{{.*}} shift 6 : vector<16xi32> -> vector<16xf32>
// CHECK: ternary_cpu.trits_to_f32 generic %{{.*}} shift 0 : vector<8xi32> -> vector<8xf32>
func.func @trits_to_f32(%a: vector<16xi32>, %b: vector<8xi32>) {
  %0 = ternary_cpu.trits_to_f32 avx512_vnni %a shift 6 : vector<16xi32> -> vector<16xf32>
  %1 = ternary_cpu.trits_to_f32 generic %b shift 0 : vector<8xi32> -> vector<8xf32>
  return
}

// CHECK-LABEL: func.func @dot4
// CHECK: ternary_cpu.dot4 avx512_vnni unsigned_lhs %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: ternary_cpu.dot4 neon_dotprod %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi8> -> vector<4xi32>
// CHECK: ternary_cpu.dot4 generic %{{.*}}, %{{.*}}, %{{.*}} : vector<12xi8> -> vector<3xi32>
func.func @dot4(%acc16: vector<16xi32>, %a64: vector<64xi8>, %acc4: vector<4xi32>, %a16: vector<16xi8>,
                %acc3: vector<3xi32>, %a12: vector<12xi8>) {
  %0 = ternary_cpu.dot4 avx512_vnni unsigned_lhs %acc16, %a64, %a64 : vector<64xi8> -> vector<16xi32>
  %1 = ternary_cpu.dot4 neon_dotprod %acc4, %a16, %a16 : vector<16xi8> -> vector<4xi32>
  %2 = ternary_cpu.dot4 generic %acc3, %a12, %a12 : vector<12xi8> -> vector<3xi32>
  return
}

// CHECK-LABEL: func.func @prefetch
// CHECK: ternary_cpu.prefetch %{{.*}}[%{{.*}}, %{{.*}}] : tensor<64x256xi8>
func.func @prefetch(%w: tensor<64x256xi8>, %i: index) {
  ternary_cpu.prefetch %w[%i, %i] : tensor<64x256xi8>
  return
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x010000008080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080"
    }
  }
#-}

// CHECK-LABEL: func.func @kernel_config
// CHECK: kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 4, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>>
func.func @kernel_config(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 4, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func.func @lookup_table_ops
// CHECK: %[[T:.*]] = ternary_cpu.prepare_tables %{{.*}} groups(#ternary.scale_groups<k = [300]>) : tensor<?x700xi8> -> tensor<?x22272xi8>
// CHECK: ternary_cpu.table_matmul %[[T]] act_scales(%{{.*}} : tensor<?xf32>), %{{.*}}[%{{.*}}, %{{.*}}] groups #ternary.scale_groups<k = [300]> scales(%{{.*}} : tensor<1x2xf32>) lookup avx512_vbmi prefetch 1024 : tensor<?x22272xi8>, !ternary.packed<256x700, tq1, #ternary.trit_triples> -> vector<1x256xf32>
// CHECK: ternary_cpu.lookup generic %{{.*}}[%{{.*}}] : vector<64xi8>
// CHECK: ternary_cpu.lookup avx512_vbmi %{{.*}}[%{{.*}}] : vector<32xi16>
func.func @lookup_table_ops(%q: tensor<?x700xi8>, %as: tensor<?xf32>, %w: !ternary.packed<256x700, tq1, #ternary.trit_triples>,
                            %s: tensor<1x2xf32>, %i: index, %table: vector<64xi8>, %indices: vector<64xi8>,
                            %wordTable: vector<32xi16>, %wordIndices: vector<32xi16>) {
  %t = ternary_cpu.prepare_tables %q groups(#ternary.scale_groups<k = [300]>) : tensor<?x700xi8> -> tensor<?x22272xi8>
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) lookup avx512_vbmi prefetch 1024 : tensor<?x22272xi8>, !ternary.packed<256x700, tq1, #ternary.trit_triples> -> vector<1x256xf32>
  %l = ternary_cpu.lookup generic %table[%indices] : vector<64xi8>
  %lw = ternary_cpu.lookup avx512_vbmi %wordTable[%wordIndices] : vector<32xi16>
  return
}

// CHECK-LABEL: func.func private @table_config
// CHECK-SAME: kernel_config = #ternary_cpu.matmul_config<rows = 256, act_rows = 1, block_rows = 512, block_act_rows = 1, streams = 2, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.trit_triples, byte_lookup = avx512_vbmi>
func.func private @table_config() attributes {kernel_config = #ternary_cpu.matmul_config<rows = 256, act_rows = 1, block_rows = 512, block_act_rows = 1, streams = 2, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.trit_triples, byte_lookup = avx512_vbmi>}
