// trilm-opt lists trilm's passes and pipelines next to the upstream ones.
// RUN: trilm-opt --help | FileCheck %s

// CHECK-DAG: --convert-ternary-to-linalg
// CHECK-DAG: --convert-ternary-to-cpu
// CHECK-DAG: --ternary-tile-matmul-cpu
// CHECK-DAG: --ternary-relayout-weights
// CHECK-DAG: --ternary-cpu-lower-instructions
// CHECK-DAG: --convert-llm-to-linalg
// CHECK-DAG: --convert-llm-to-cpu
// CHECK-DAG: --trilm-cpu-pipeline
// CHECK-DAG: --ternary-raise-matmul
// CHECK-DAG: max-groups
// CHECK-DAG: packing
// CHECK-DAG: remarks
// CHECK-DAG: --trilm-reference-pipeline
// CHECK-DAG: --convert-linalg-to-loops
