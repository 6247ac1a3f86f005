func.func @dot4(%acc16: vector<16xi32>, %a64: vector<64xi8>, %acc4: vector<4xi32>, %a16: vector<16xi8>,
                %acc3: vector<3xi32>, %a12: vector<12xi8>) {
  %0 = ternary_cpu.dot4 avx512_vnni unsigned_lhs %acc16, %a64, %a64 : vector<64xi8> -> vector<16xi32>
  %1 = ternary_cpu.dot4 neon_dotprod %acc4, %a16, %a16 : vector<16xi8> -> vector<4xi32>
  %2 = ternary_cpu.dot4 generic %acc3, %a12, %a12 : vector<12xi8> -> vector<3xi32>
  return
}
