// RUN: trilm-opt %s --convert-ternary-to-gpu=multiprocessors=0 -verify-diagnostics

// expected-error @+1 {{multiprocessors must be positive, got 0}}
module {
}
