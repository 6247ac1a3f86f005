// trilm-bench compiles, checks against the reference and times a kernel; its
// figures are not checked here, only that it runs and reports. Bad arguments
// give one error line.
// RUN: trilm-bench matmul --shapes=8x300 --num-threads=1 --repeats=1 | FileCheck %s
// RUN: not trilm-bench frobnicate 2>&1 | FileCheck %s --check-prefix=COMMAND
// RUN: not trilm-bench matmul --shapes=8by300 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not trilm-bench matmul --mode=int4 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not trilm-bench matmul --models=7B 2>&1 | FileCheck %s --check-prefix=MODEL
// RUN: not trilm-bench matmul --shapes=8x300 --packing=tq3 2>&1 | FileCheck %s --check-prefix=PACKING
// RUN: not trilm-bench matmul --shapes=8x300 --interleave=3 2>&1 | FileCheck %s --check-prefix=INTERLEAVE
// RUN: trilm-bench matmul --shapes=8x300 --num-threads=1 --repeats=1 --mode=int8 --packing=tq1 --interleave=4 | FileCheck %s --check-prefix=LAYOUT
// RUN: trilm-bench matmul --shapes=8x300 -m 5 --num-threads=1 --repeats=1 --mode=int8 --packing=tq1 --tile=2x4 --cpu=x86-64 | FileCheck %s --check-prefix=TILE
// RUN: not trilm-bench matmul --shapes=8x300 --tile=4by4 2>&1 | FileCheck %s --check-prefix=BADTILE
// RUN: not trilm-bench matmul --shapes=8x300 --cpu=pentium9 2>&1 | FileCheck %s --check-prefix=BADCPU
// RUN: trilm-bench matmul --shapes=128x300 -m 1,3 --num-threads=1 --repeats=1 --mode=int8 --packing=tq1 --lookup-tables=1 --cpu=x86-64 | FileCheck %s --check-prefix=TABLES
// RUN: trilm-bench matmul --shapes=128x300 --num-threads=1 --repeats=1 --mode=int8 --lookup-tables=1 --interleave=4 --cpu=x86-64 | FileCheck %s --check-prefix=TABLESLAYOUT
// RUN: not trilm-bench matmul --shapes=128x300 --lookup-tables=2 2>&1 | FileCheck %s --check-prefix=TABLESVALUE

// CHECK: host: {{.*}}int8 dot:
// CHECK: | model | layer | N x K | M | packing | mode | threads | time (ms) | weight GB/s | GOPS | % of read roof |
// CHECK: | custom | - | 8 x 300 | 1 | tq2 | int8 | 1 |
// CHECK: | custom | - | 8 x 300 | 1 | tq2 | fp | 1 |
// CHECK: | custom | - | 8 x 300 | 1 | tq1 | int8 | 1 |
// CHECK: | custom | - | 8 x 300 | 1 | tq1 | fp | 1 |
// COMMAND: trilm-bench: error: unknown command 'frobnicate'; expected bandwidth or matmul
// SHAPE: trilm-bench: error: bad shape '8by300'; expected NxK, e.g. 9216x3072
// MODE: trilm-bench: error: unknown mode 'int4'; expected int8 or fp
// MODEL: trilm-bench: error: unknown model '7B'; expected 99M, 1.1B or 3.9B
// PACKING: trilm-bench: error: unknown packing 'tq3'; expected tq2 or tq1
// INTERLEAVE: trilm-bench: error: --interleave must be a power of two from 2 to 64 that divides N
// LAYOUT: | custom | - | 8 x 300 | 1 | tq1 | int8 | 1 |
// TILE: host: {{.*}}, cpu x86-64, int8 dot: generic
// TILE: | custom | - | 8 x 300 | 5 | tq1 | int8 | 1 |
// BADTILE: trilm-bench: error: --tile must be ROWSxACT_ROWS with both from 1 to 16, got '4by4'
// BADCPU: trilm-bench: error: unknown cpu 'pentium9
// TABLES: host: {{.*}}, cpu x86-64, int8 dot: generic, 1.6-bit int8 lookup tables: yes
// TABLES: | custom | - | 128 x 300 | 1 | tq1 | int8 | 1 |
// TABLES: | custom | - | 128 x 300 | 3 | tq1 | int8 | 1 |
// TABLESLAYOUT: | custom | - | 128 x 300 | 1 | tq2 | int8 | 1 |
// TABLESLAYOUT: | custom | - | 128 x 300 | 1 | tq1 | int8 | 1 |
// TABLESVALUE: trilm-bench: error: --lookup-tables must be 1, 0 or -1, got 2
