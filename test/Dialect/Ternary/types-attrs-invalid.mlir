// RUN: trilm-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown packing scheme 'tq3'; expected tq2 or tq1}}
func.func private @scheme(!ternary.packed<4x256, tq3>)

// -----

// expected-error @+1 {{expected a 2-D packed matrix (rows x cols), got 3 dimensions}}
func.func private @rank(!ternary.packed<4x4x256, tq2>)

// -----

// expected-error @+1 {{packed ternary matrix must have positive static dimensions, got 0x256}}
func.func private @empty(!ternary.packed<0x256, tq2>)

// -----

// expected-error @+1 {{expected a packed layout attribute, got 4 : i64}}
func.func private @layout(!ternary.packed<4x256, tq2, 4>)

// -----

// expected-error @+1 {{row_interleave factor must be a power of two between 2 and 64, got 3}}
func.func private @factor(!ternary.packed<6x256, tq2, #ternary.row_interleave<3>>)

// -----

// expected-error @+1 {{row_interleave<4> needs a number of rows divisible by 4, got 6}}
func.func private @divisible(!ternary.packed<6x256, tq2, #ternary.row_interleave<4>>)

// -----

// expected-error @+1 {{trit_triples needs a number of rows divisible by 32, got 80}}
func.func private @triples_rows(!ternary.packed<80x256, tq1, #ternary.trit_triples>)

// -----

// expected-error @+1 {{trit_triples is a layout of tq1 weights, not tq2}}
func.func private @triples_scheme(!ternary.packed<64x256, tq2, #ternary.trit_triples>)

// -----

// expected-error @+1 {{expected 'tensor' or each of 'n' and 'k' at most once, got 'n'}}
func.func private @twice() attributes {g = #ternary.scale_groups<n = [4], n = [8]>}

// -----

// expected-error @+1 {{expected 'tensor' or each of 'n' and 'k' at most once, got 'm'}}
func.func private @axis() attributes {g = #ternary.scale_groups<m = [4]>}

// -----

// expected-error @+1 {{scale group splits along k must be strictly increasing, got 512 after 768}}
func.func private @order() attributes {g = #ternary.scale_groups<k = [768, 512]>}

// -----

// expected-error @+1 {{scale group split along n must be positive, got 0}}
func.func private @zero_split() attributes {g = #ternary.scale_groups<n = [0, 4]>}

// -----

// expected-error @+1 {{scale group block along k must be positive, got -256}}
func.func private @block() attributes {g = #ternary.scale_groups<k = block -256>}

// -----

// expected-error @+1 {{packed ternary matrix 2097152x1048576 exceeds 2^40 trits}}
func.func private @huge(!ternary.packed<2097152x1048576, tq2>)
