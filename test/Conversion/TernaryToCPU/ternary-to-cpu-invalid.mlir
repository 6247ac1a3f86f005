// RUN: not trilm-opt %s -convert-ternary-to-cpu=int8-dot=avx3 2>&1 | FileCheck %s --check-prefix=DOT
// RUN: not trilm-opt %s -convert-ternary-to-cpu=rows=0 2>&1 | FileCheck %s --check-prefix=ROWS

// DOT: error: unknown int8-dot 'avx3'; expected generic, avx512_vnni, avx_vnni or neon_dotprod
// ROWS: error: rows must be between 1 and 16, got 0
func.func @f() {
  return
}
