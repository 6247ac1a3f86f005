func.func @trits_to_f32(%a: vector<16xi32>, %b: vector<8xi32>) {
  %0 = ternary_cpu.trits_to_f32 avx512_vnni %a shift 6 : vector<16xi32> -> vector<16xf32>
  %1 = ternary_cpu.trits_to_f32 generic %b shift 0 : vector<8xi32> -> vector<8xf32>
  return
}
