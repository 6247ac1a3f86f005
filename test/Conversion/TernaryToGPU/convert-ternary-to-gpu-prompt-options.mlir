// RUN: trilm-opt %s --convert-ternary-to-gpu="prompt-rows=24" -verify-diagnostics

// A prompt tile the kernel cannot have is an error on the matmul it was for.
func.func @prompt_rows(%x: tensor<?x512xf16>, %w: tensor<64x128xi8>, %s: tensor<1x1xf32>) -> tensor<?x64xf32> {
  %p = ternary.from_storage %w : tensor<64x128xi8> -> !ternary.packed<64x512, tq2>
  // expected-error @+1 {{'ternary.matmul' op prompt_rows must be 16, 32, 48 or 64, got 24}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x512xf16>, !ternary.packed<64x512, tq2> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}
