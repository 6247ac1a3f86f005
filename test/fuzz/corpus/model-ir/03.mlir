func.func @attention(%q: tensor<?x96xf32>, %kv: tensor<?x32xf32>,
                     %kc: tensor<2x16x128xf16>, %vc: tensor<2x128x16xf16>,
                     %start: index) -> (tensor<?x96xf32>, tensor<2x128x16xf16>) {
  %o, %k, %v = llm.attention %q, %kv, %kv, %kc, %vc, %start : tensor<?x96xf32>, tensor<?x32xf32>, tensor<2x16x128xf16>, tensor<2x128x16xf16>
  %o2, %k2, %v2 = llm.attention %o, %kv, %kv, %k, %v, %start {scale = 0.5 : f32} : tensor<?x96xf32>, tensor<?x32xf32>, tensor<2x16x128xf16>, tensor<2x128x16xf16>
  return %o2, %v2 : tensor<?x96xf32>, tensor<2x128x16xf16>
}
