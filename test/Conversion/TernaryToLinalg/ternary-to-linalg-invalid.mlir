// RUN: trilm-opt %s -convert-ternary-to-linalg -split-input-file -verify-diagnostics

// Trit triples are a compile-time re-encoding of constant weights.
func.func @pack_triples(%t: tensor<64x256xi8>) -> !ternary.packed<64x256, tq1, #ternary.trit_triples> {
  // expected-error @+1 {{'ternary.pack' op packs into #ternary.trit_triples at run time, which is not supported: constant weights are re-laid at compile time}}
  %p = ternary.pack %t : tensor<64x256xi8> -> !ternary.packed<64x256, tq1, #ternary.trit_triples>
  return %p : !ternary.packed<64x256, tq1, #ternary.trit_triples>
}
