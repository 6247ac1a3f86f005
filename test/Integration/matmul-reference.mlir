// Executes the reference lowering of ternary.matmul and compares it with a
// plain float matmul (linalg, no trilm op) of the same weights. All values are
// exact binary fractions, so both orders of summation give identical floats.
//
// RUN: trilm-opt %s --canonicalize --trilm-reference-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

// x[m, k] = ((37m + 11k) mod 255 - 127) / 64: every row reaches -127/64, so
// int8 quantisation of a row is exact (scale 1/64).
func.func @activations() -> tensor<3x300xf32> {
  %empty = tensor.empty() : tensor<3x300xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>], iterator_types = ["parallel", "parallel"]}
      outs(%empty : tensor<3x300xf32>) {
  ^bb0(%out: f32):
    %m = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c37 = arith.constant 37 : index
    %c11 = arith.constant 11 : index
    %c255 = arith.constant 255 : index
    %c127 = arith.constant 127 : index
    %a = arith.muli %m, %c37 : index
    %b = arith.muli %k, %c11 : index
    %s = arith.addi %a, %b : index
    %r = arith.remui %s, %c255 : index
    %v = arith.subi %r, %c127 : index
    %i = arith.index_cast %v : index to i32
    %f = arith.sitofp %i : i32 to f32
    %scale = arith.constant 0.015625 : f32
    %x = arith.mulf %f, %scale : f32
    linalg.yield %x : f32
  } -> tensor<3x300xf32>
  return %x : tensor<3x300xf32>
}

// t[n, k] = (7n + 13k + nk + k / (n + 1)) mod 3 - 1 (no period along n).
func.func @trits() -> tensor<6x300xi8> {
  %empty = tensor.empty() : tensor<6x300xi8>
  %t = linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>], iterator_types = ["parallel", "parallel"]}
      outs(%empty : tensor<6x300xi8>) {
  ^bb0(%out: i8):
    %n = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %c13 = arith.constant 13 : index
    %c3 = arith.constant 3 : index
    %c1 = arith.constant 1 : index
    %a = arith.muli %n, %c7 : index
    %b = arith.muli %k, %c13 : index
    %nk = arith.muli %n, %k : index
    %s0 = arith.addi %a, %b : index
    %s1 = arith.addi %s0, %nk : index
    %n1 = arith.addi %n, %c1 : index
    %d = arith.divui %k, %n1 : index
    %s = arith.addi %s1, %d : index
    %r = arith.remui %s, %c3 : index
    %v = arith.subi %r, %c1 : index
    %i = arith.index_cast %v : index to i8
    linalg.yield %i : i8
  } -> tensor<6x300xi8>
  return %t : tensor<6x300xi8>
}

// Float weights t[n, k] * scale, the scale picked by plain index comparisons:
// along N, rows [0, 2) -> 0.5, [2, 5) -> 0.25, [5, 6) -> 2; along K,
// columns [0, 100) -> 0.5, [100, 256) -> 0.25, [256, 300) -> 2.
func.func @float_weights(%t: tensor<6x300xi8>, %along_k: i1) -> tensor<6x300xf32> {
  %empty = tensor.empty() : tensor<6x300xf32>
  %w = linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n, k)>], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<6x300xi8>) outs(%empty : tensor<6x300xf32>) {
  ^bb0(%trit: i8, %out: f32):
    %n = linalg.index 0 : index
    %k = linalg.index 1 : index
    %pos = arith.select %along_k, %k, %n : index
    %c2 = arith.constant 2 : index
    %c5 = arith.constant 5 : index
    %c100 = arith.constant 100 : index
    %c256 = arith.constant 256 : index
    %first = arith.select %along_k, %c100, %c2 : index
    %second = arith.select %along_k, %c256, %c5 : index
    %half = arith.constant 0.5 : f32
    %quarter = arith.constant 0.25 : f32
    %two = arith.constant 2.0 : f32
    %in_first = arith.cmpi ult, %pos, %first : index
    %in_second = arith.cmpi ult, %pos, %second : index
    %later = arith.select %in_second, %quarter, %two : f32
    %scale = arith.select %in_first, %half, %later : f32
    %tf = arith.sitofp %trit : i8 to f32
    %w = arith.mulf %tf, %scale : f32
    linalg.yield %w : f32
  } -> tensor<6x300xf32>
  return %w : tensor<6x300xf32>
}

func.func @float_matmul(%x: tensor<3x300xf32>, %w: tensor<6x300xf32>) -> tensor<3x6xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<3x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x6xf32>) -> tensor<3x6xf32>
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<3x300xf32>, tensor<6x300xf32>) outs(%init : tensor<3x6xf32>) -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

func.func @print(%y: tensor<3x6xf32>) {
  %u = tensor.cast %y : tensor<3x6xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %x = call @activations() : () -> tensor<3x300xf32>
  %t = call @trits() : () -> tensor<6x300xi8>
  %true = arith.constant true
  %false = arith.constant false
  %scales_n = arith.constant dense<[[0.5], [0.25], [2.0]]> : tensor<3x1xf32>
  %scales_k = arith.constant dense<[[0.5, 0.25, 2.0]]> : tensor<1x3xf32>

  // Scales along N.
  // CHECK-LABEL: data =
  // CHECK-NEXT: {{\[}}[[N0:.*]]
  // CHECK-NEXT: {{\[}}[[N1:.*]]
  // CHECK-NEXT: {{\[}}[[N2:.*]]
  %wn = call @float_weights(%t, %false) : (tensor<6x300xi8>, i1) -> tensor<6x300xf32>
  %ref_n = call @float_matmul(%x, %wn) : (tensor<3x300xf32>, tensor<6x300xf32>) -> tensor<3x6xf32>
  call @print(%ref_n) : (tensor<3x6xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[N0]]
  // CHECK-NEXT: {{\[}}[[N1]]
  // CHECK-NEXT: {{\[}}[[N2]]
  %p2 = ternary.pack %t : tensor<6x300xi8> -> !ternary.packed<6x300, tq2>
  %y2n = ternary.matmul %x, %p2 groups #ternary.scale_groups<n = [2, 5]> scales(%scales_n : tensor<3x1xf32>) : tensor<3x300xf32>, !ternary.packed<6x300, tq2> -> tensor<3x6xf32>
  call @print(%y2n) : (tensor<3x6xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[N0]]
  // CHECK-NEXT: {{\[}}[[N1]]
  // CHECK-NEXT: {{\[}}[[N2]]
  %p1 = ternary.pack %t : tensor<6x300xi8> -> !ternary.packed<6x300, tq1>
  %y1n = ternary.matmul %x, %p1 groups #ternary.scale_groups<n = [2, 5]> scales(%scales_n : tensor<3x1xf32>) : tensor<3x300xf32>, !ternary.packed<6x300, tq1> -> tensor<3x6xf32>
  call @print(%y1n) : (tensor<3x6xf32>) -> ()

  // Scales along K, shards not aligned to the 256-trit blocks.
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[K0:.*]]
  // CHECK-NEXT: {{\[}}[[K1:.*]]
  // CHECK-NEXT: {{\[}}[[K2:.*]]
  %wk = call @float_weights(%t, %true) : (tensor<6x300xi8>, i1) -> tensor<6x300xf32>
  %ref_k = call @float_matmul(%x, %wk) : (tensor<3x300xf32>, tensor<6x300xf32>) -> tensor<3x6xf32>
  call @print(%ref_k) : (tensor<3x6xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[K0]]
  // CHECK-NEXT: {{\[}}[[K1]]
  // CHECK-NEXT: {{\[}}[[K2]]
  %y2k = ternary.matmul %x, %p2 groups #ternary.scale_groups<k = [100, 256]> scales(%scales_k : tensor<1x3xf32>) : tensor<3x300xf32>, !ternary.packed<6x300, tq2> -> tensor<3x6xf32>
  call @print(%y2k) : (tensor<3x6xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[K0]]
  // CHECK-NEXT: {{\[}}[[K1]]
  // CHECK-NEXT: {{\[}}[[K2]]
  %y1k = ternary.matmul %x, %p1 groups #ternary.scale_groups<k = [100, 256]> scales(%scales_k : tensor<1x3xf32>) : tensor<3x300xf32>, !ternary.packed<6x300, tq1> -> tensor<3x6xf32>
  call @print(%y1k) : (tensor<3x6xf32>) -> ()

  // int8 activations: quantisation is exact here, so the result is the same.
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[K0]]
  // CHECK-NEXT: {{\[}}[[K1]]
  // CHECK-NEXT: {{\[}}[[K2]]
  %q, %qs = ternary.quantize %x : tensor<3x300xf32> -> tensor<3x300xi8>, tensor<3xf32>
  %y8 = ternary.matmul %q act_scales(%qs : tensor<3xf32>), %p1 groups #ternary.scale_groups<k = [100, 256]> scales(%scales_k : tensor<1x3xf32>) : tensor<3x300xi8>, !ternary.packed<6x300, tq1> -> tensor<3x6xf32>
  call @print(%y8) : (tensor<3x6xf32>) -> ()

  // Row-interleaved storage decodes to the same matrix.
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[[N0]]
  // CHECK-NEXT: {{\[}}[[N1]]
  // CHECK-NEXT: {{\[}}[[N2]]
  %pi = ternary.pack %t : tensor<6x300xi8> -> !ternary.packed<6x300, tq2, #ternary.row_interleave<2>>
  %yi = ternary.matmul %x, %pi groups #ternary.scale_groups<n = [2, 5]> scales(%scales_n : tensor<3x1xf32>) : tensor<3x300xf32>, !ternary.packed<6x300, tq2, #ternary.row_interleave<2>> -> tensor<3x6xf32>
  call @print(%yi) : (tensor<3x6xf32>) -> ()

  // Packed constant weights (folded into a resource blob by --canonicalize),
  // one scale per row, checked against values worked out by hand:
  // row 0 of x: [1, 2, 3, 4] . [1, 0, -1, 1] * 2 = 4, . [0, 0, 1, -1] * 3 = -3,
  // . [1, 1, 1, 1] * 0.5 = 5.
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[4,   -3,   5],
  // CHECK-NEXT: [-2.5,   5.25,   0.875]]
  %cx = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0, 0.25]]> : tensor<2x4xf32>
  %ct = arith.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1], [1, 1, 1, 1]]> : tensor<3x4xi8>
  %cs = arith.constant dense<[[2.0], [3.0], [0.5]]> : tensor<3x1xf32>
  %cw = ternary.pack %ct : tensor<3x4xi8> -> !ternary.packed<3x4, tq1>
  %cy = ternary.matmul %cx, %cw groups #ternary.scale_groups<n = block 1> scales(%cs : tensor<3x1xf32>) : tensor<2x4xf32>, !ternary.packed<3x4, tq1> -> tensor<2x3xf32>
  %cu = tensor.cast %cy : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%cu) : (tensor<*xf32>) -> ()
  return
}
