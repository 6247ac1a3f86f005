// RUN: trilm-opt %s -split-input-file -verify-diagnostics

func.func @dot4_sizes(%acc: vector<4xi32>, %a: vector<32xi8>) {
  // expected-error @+1 {{'ternary_cpu.dot4' op operands have 32 bytes but 4 i32 lanes need 16}}
  %0 = ternary_cpu.dot4 generic %acc, %a, %a : vector<32xi8> -> vector<4xi32>
  return
}

// -----

func.func @dot4_vnni_signed(%acc: vector<16xi32>, %a: vector<64xi8>) {
  // expected-error @+1 {{'ternary_cpu.dot4' op vpdpbusd needs an unsigned lhs}}
  %0 = ternary_cpu.dot4 avx512_vnni %acc, %a, %a : vector<64xi8> -> vector<16xi32>
  return
}

// -----

func.func @dot4_avx_vnni_width(%acc: vector<16xi32>, %a: vector<64xi8>) {
  // expected-error @+1 {{'ternary_cpu.dot4' op vpdpbusd (avx_vnni) takes 4, 8 lanes, got 16}}
  %0 = ternary_cpu.dot4 avx_vnni unsigned_lhs %acc, %a, %a : vector<64xi8> -> vector<16xi32>
  return
}

// -----

func.func @dot4_neon_unsigned(%acc: vector<4xi32>, %a: vector<16xi8>) {
  // expected-error @+1 {{'ternary_cpu.dot4' op sdot needs a signed lhs}}
  %0 = ternary_cpu.dot4 neon_dotprod unsigned_lhs %acc, %a, %a : vector<16xi8> -> vector<4xi32>
  return
}

// -----

func.func @dot4_neon_width(%acc: vector<8xi32>, %a: vector<32xi8>) {
  // expected-error @+1 {{'ternary_cpu.dot4' op sdot takes 4 lanes, got 8}}
  %0 = ternary_cpu.dot4 neon_dotprod %acc, %a, %a : vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @prepare_shape(%x: tensor<?x700xi8>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op prepared type 'tensor<?x768xi8>' must be 'tensor<?x1024xi8>'}}
  %p, %s = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x768xi8>, tensor<?x4xi32>
  return
}

// -----

func.func @prepare_dynamic_k(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op input must be a 2-D tensor with a static K, got 'tensor<2x?xf32>'}}
  %p = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq2 : tensor<2x?xf32> -> tensor<2x256xf32>
  return
}

// -----

func.func @prepare_element(%x: tensor<2x256xi32>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op activations must be f32, f16, bf16 or i8, got 'i32'}}
  %p = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq2 : tensor<2x256xi32> -> tensor<2x256xf32>
  return
}

// -----

func.func @prepare_split(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op scale group split 300 along k is outside the 256 columns}}
  %p = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<2x256xf32> -> tensor<2x512xf32>
  return
}

// -----

func.func @prepare_missing_sums(%x: tensor<2x256xi8>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op i8 activations need a block_sums result}}
  %p = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq2 : tensor<2x256xi8> -> tensor<2x256xi8>
  return
}

// -----

func.func @prepare_float_sums(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op block_sums are only returned for i8 activations}}
  %p, %s = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq2 : tensor<2x256xf32> -> tensor<2x256xf32>, tensor<2x1xi32>
  return
}

// -----

func.func @prepare_sums_shape(%x: tensor<2x256xi8>) {
  // expected-error @+1 {{'ternary_cpu.prepare_activations' op block_sums type 'tensor<2x2xi32>' must be 'tensor<2x1xi32>'}}
  %p, %s = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq2 : tensor<2x256xi8> -> tensor<2x256xi8>, tensor<2x2xi32>
  return
}

// -----

func.func @tile_size(%p: tensor<2x256xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op tile must be 1 to 16 activation rows by 1 to 16 weight rows, got 'vector<1x32xf32>'}}
  %t = ternary_cpu.tile_matmul %p, %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<2x256xf32>, !ternary.packed<8x256, tq2> -> vector<1x32xf32>
  return
}

// -----

func.func @tile_prepared(%p: tensor<2x320xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op prepared activations of type 'tensor<2x320xf32>' do not match weights '!ternary.packed<8x256, tq2>' and their scale groups: expected [M, 256] of i8 or f32}}
  %t = ternary_cpu.tile_matmul %p, %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<2x320xf32>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @tile_act_scales(%p: tensor<2x256xi8>, %sums: tensor<2x1xi32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op i8 activations need act_scales}}
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<2x1xi32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<2x256xi8>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @tile_float_act_scales(%p: tensor<2x256xf32>, %as: tensor<2xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op act_scales are only allowed with i8 activations}}
  %t = ternary_cpu.tile_matmul %p act_scales(%as : tensor<2xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot generic : tensor<2x256xf32>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @tile_missing_sums(%p: tensor<2x256xi8>, %as: tensor<2xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op unsigned-code dot products need block_sums}}
  %t = ternary_cpu.tile_matmul %p act_scales(%as : tensor<2xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot avx512_vnni : tensor<2x256xi8>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @tile_extra_sums(%p: tensor<2x256xi8>, %sums: tensor<2x1xi32>, %as: tensor<2xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op block_sums are only used by i8 tiles with unsigned codes}}
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<2x1xi32>) act_scales(%as : tensor<2xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) dot neon_dotprod : tensor<2x256xi8>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @tile_scales(%p: tensor<2x256xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<2x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.tile_matmul' op scales shape [2, 1] does not match the [1, 1] scale groups of a 8x256 matrix}}
  %t = ternary_cpu.tile_matmul %p, %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<2x1xf32>) dot generic : tensor<2x256xf32>, !ternary.packed<8x256, tq2> -> vector<1x4xf32>
  return
}

// -----

func.func @trits_shift(%a: vector<16xi32>) {
  // expected-error @+1 {{'ternary_cpu.trits_to_f32' op shift must be an even bit position from 0 to 30, got 3}}
  %0 = ternary_cpu.trits_to_f32 generic %a shift 3 : vector<16xi32> -> vector<16xf32>
  return
}

// -----

func.func @trits_lanes(%a: vector<16xi32>) {
  // expected-error @+1 {{'ternary_cpu.trits_to_f32' op failed to verify that all of {fields, result} have same shape}}
  %0 = ternary_cpu.trits_to_f32 generic %a shift 2 : vector<16xi32> -> vector<8xf32>
  return
}

// -----

func.func @config_tile(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{the register tile must be 1 to 16 rows by 1 to 16 activation rows, got 32 x 1}}
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 32, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 1, int8_dot = generic>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return
}

// -----

func.func @config_block(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{block_rows 6 must be a positive multiple of rows 4}}
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 6, block_act_rows = 1, streams = 1, int8_dot = generic>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return
}

// -----

func.func @config_act_block(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{block_act_rows 3 must be a positive multiple of act_rows 2}}
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 2, block_rows = 8, block_act_rows = 3, streams = 1, int8_dot = generic>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return
}

// -----

func.func @config_streams(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{streams 3 must be positive and divide block_rows 8 into whole tiles of 4}}
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 8, block_act_rows = 1, streams = 3, int8_dot = generic>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return
}

// -----

func.func @config_prefetch(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{prefetch_bytes must be between 0 and 65536, got -64}}
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 8, block_act_rows = 1, streams = 1, prefetch_bytes = -64, int8_dot = generic>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return
}

// -----

func.func @tile_prefetch(%f: tensor<3x640xf32>, %w: !ternary.packed<8x300, tq1>, %s: tensor<1x1xf16>, %i: index) {
  // expected-error @+1 {{prefetch distance must be 1 to 65536 bytes, got 0}}
  %u = ternary_cpu.tile_matmul %f, %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf16>) dot generic prefetch 0 : tensor<3x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x8xf32>
  return
}

// -----

func.func @prefetch_indices(%w: tensor<64x256xi8>, %i: index) {
  // expected-error @+1 {{takes one index per dimension of its 2-D source, got 1}}
  ternary_cpu.prefetch %w[%i] : tensor<64x256xi8>
  return
}

// -----

func.func @config_panel_without_rows(%x: tensor<?x256xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{panel_act_rows and panel_min_act_rows need panel_rows}}
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 8, block_act_rows = 4, streams = 1, int8_dot = generic, panel_act_rows = 12>} : tensor<?x256xi8>, !ternary.packed<64x256, tq2> -> tensor<?x64xf32>
  return
}

// -----

func.func @config_panel_rows(%x: tensor<?x256xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{panel_rows must be a positive multiple of 16, got 24}}
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 8, block_act_rows = 4, streams = 1, int8_dot = generic, panel_rows = 24, panel_act_rows = 12, panel_min_act_rows = 32>} : tensor<?x256xi8>, !ternary.packed<64x256, tq2> -> tensor<?x64xf32>
  return
}

// -----

func.func @config_panel_registers(%x: tensor<?x256xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{a panel of 32 rows takes 1 to 15 activation rows (its accumulators and codes share 32 vector registers), got 16}}
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 8, block_act_rows = 4, streams = 1, int8_dot = avx512_vnni, panel_rows = 32, panel_act_rows = 16, panel_min_act_rows = 32>} : tensor<?x256xi8>, !ternary.packed<64x256, tq2> -> tensor<?x64xf32>
  return
}

// -----

func.func @config_panel_min(%x: tensor<?x256xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{panel_min_act_rows must be positive, got 0}}
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 8, block_act_rows = 4, streams = 1, int8_dot = avx512_vnni, panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 0>} : tensor<?x256xi8>, !ternary.packed<64x256, tq2> -> tensor<?x64xf32>
  return
}

// -----

func.func @config_panel_dot(%x: tensor<?x256xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{the panel kernel needs 16-lane unsigned dot products (avx512_vnni or generic), not neon_dotprod}}
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 4, block_rows = 8, block_act_rows = 4, streams = 1, int8_dot = neon_dotprod, panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 32>} : tensor<?x256xi8>, !ternary.packed<64x256, tq2> -> tensor<?x64xf32>
  return
}

// -----

func.func @panel_rows(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x8xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op panel_rows must be a positive multiple of 16, got 8}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 8 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x8xf32>
  return
}

// -----

func.func @panel_act_rows(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x32xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op a panel of 32 rows takes 1 to 15 activation rows (its accumulators and codes share 32 vector registers), got 0}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 0 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x32xf32>
  return
}

// -----

func.func @panel_dot(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x32xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op the panel kernel needs 16-lane unsigned dot products (avx512_vnni or generic), not avx_vnni}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx_vnni panel_rows 32 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x32xf32>
  return
}

// -----

func.func @panel_prepared(%p: tensor<?x768xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x32xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op prepared activations of type 'tensor<?x768xi8>' do not match weights '!ternary.packed<37x700, tq2>' and their scale groups: expected [M, 1024]}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %d : tensor<?x768xi8>, !ternary.packed<37x700, tq2> -> tensor<?x32xf32>
  return
}

// -----

func.func @panel_sums(%p: tensor<?x1024xi8>, %sums: tensor<?x3xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x32xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op block_sums and act_scales must be [M, 4] and [M] for M = ?, got 'tensor<?x3xi32>' and 'tensor<?xf32>'}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x3xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x32xf32>
  return
}

// -----

func.func @panel_dest(%p: tensor<?x1024xi8>, %sums: tensor<?x4xi32>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>, %d: tensor<?x48xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.panel_matmul' op dest must be 2-D with at most panel_rows (32) columns, got 'tensor<?x48xf32>'}}
  %t = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni panel_rows 32 act_rows 12 into %d : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x48xf32>
  return
}

// -----

func.func @tables_type(%q: tensor<?x700xi8>) {
  // expected-error @+1 {{'ternary_cpu.prepare_tables' op tables type 'tensor<?x1024xi8>' must be 'tensor<?x22272xi8>'}}
  %t = ternary_cpu.prepare_tables %q groups(#ternary.scale_groups<k = [300]>) : tensor<?x700xi8> -> tensor<?x1024xi8>
  return
}

// -----

func.func @table_weights(%t: tensor<?x16704xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x700, tq1>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.table_matmul' op weights must be stored as #ternary.trit_triples, got '!ternary.packed<64x700, tq1>'}}
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup generic : tensor<?x16704xi8>, !ternary.packed<64x700, tq1> -> vector<1x64xf32>
  return
}

// -----

func.func @table_result(%t: tensor<?x16704xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x700, tq1, #ternary.trit_triples>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.table_matmul' op result must be 1 x 32 to 256 (whole groups of 32 rows of the layout), got 'vector<1x48xf32>'}}
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup generic : tensor<?x16704xi8>, !ternary.packed<64x700, tq1, #ternary.trit_triples> -> vector<1x48xf32>
  return
}

// -----

func.func @table_tables(%t: tensor<?x1024xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x700, tq1, #ternary.trit_triples>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.table_matmul' op tables of type 'tensor<?x1024xi8>' do not match weights '!ternary.packed<64x700, tq1, #ternary.trit_triples>' and their scale groups: expected [M, 16704]}}
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup generic : tensor<?x1024xi8>, !ternary.packed<64x700, tq1, #ternary.trit_triples> -> vector<1x64xf32>
  return
}

// -----

func.func @table_act_scales(%t: tensor<?x16704xi8>, %as: tensor<?x1xf32>, %w: !ternary.packed<64x700, tq1, #ternary.trit_triples>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.table_matmul' op act_scales must be 1-D, got 'tensor<?x1xf32>'}}
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?x1xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup generic : tensor<?x16704xi8>, !ternary.packed<64x700, tq1, #ternary.trit_triples> -> vector<1x64xf32>
  return
}

// -----

func.func @table_prefetch(%t: tensor<?x16704xi8>, %as: tensor<?xf32>, %w: !ternary.packed<64x700, tq1, #ternary.trit_triples>, %s: tensor<1x1xf32>, %i: index) {
  // expected-error @+1 {{'ternary_cpu.table_matmul' op prefetch distance must be 1 to 65536 bytes, got 0}}
  %r = ternary_cpu.table_matmul %t act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) lookup generic prefetch 0 : tensor<?x16704xi8>, !ternary.packed<64x700, tq1, #ternary.trit_triples> -> vector<1x64xf32>
  return
}

// -----

func.func @table_config_rows(%x: tensor<1x256xi8>, %as: tensor<1xf32>, %w: !ternary.packed<64x256, tq1>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{weights in #ternary.trit_triples take tiles of 32 to 256 rows (whole groups of 32) by 1 activation row, got 16 x 1}}
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 16, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.trit_triples>} : tensor<1x256xi8>, !ternary.packed<64x256, tq1> -> tensor<1x64xf32>
  return
}

// -----

func.func @table_config_panel(%x: tensor<1x256xi8>, %as: tensor<1xf32>, %w: !ternary.packed<64x256, tq1>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{panels of weights in #ternary.trit_triples are two groups of 32 rows, got 32}}
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 64, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 1, int8_dot = avx512_vnni, weight_layout = #ternary.trit_triples, panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 12>} : tensor<1x256xi8>, !ternary.packed<64x256, tq1> -> tensor<1x64xf32>
  return
}
