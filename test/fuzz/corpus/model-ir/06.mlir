func.func @types(%a: !ternary.packed<3072x9216, tq2>,
                 %b: !ternary.packed<512x1280, tq1>,
                 %c: !ternary.packed<8x300, tq2, #ternary.row_interleave<4>>) {
  return
}
