"""The fused CPU kernels (trilm-cpu-pipeline) against the semantics of
ternary.matmul, over a matrix of shapes: M in {1, 3, 16, 64}; N and K that are
not multiples of 256 or of the vector width; scale groups along N, along K and
both; both packings; f32, f16, bf16 and int8 activations; 1 and 2 threads; the portable
and the AVX-512 VNNI and AVX-VNNI int8 kernels; row-interleaved weights.

int8 results must be bit-identical to the numpy emulation of the reference
semantics (exact integer group sums); float results agree within 1e-5 of the
largest magnitude (only the summation order differs)."""

import itertools
import pathlib

import numpy as np
import pytest

from ternary_harness import execute, f32, half_precision_activations, module, reference

CPU_FLAGS = pathlib.Path("/proc/cpuinfo").read_text()
HAS_AVX512_VNNI = "avx512_vnni" in CPU_FLAGS
HAS_AVX_VNNI = "avx_vnni" in CPU_FLAGS

GROUPINGS = [((), ()), ((5,), ()), ((), (100,)), ((3,), (257, 400))]
SHAPES = [(7, 300), (37, 513), (64, 1000)]


def cases():
    for index, (m, (n, k), packing) in enumerate(
            itertools.product([1, 3, 16, 64], SHAPES, ["tq2", "tq1"])):
        n_splits, k_splits = GROUPINGS[index % len(GROUPINGS)]
        n_splits = tuple(s for s in n_splits if s < n)
        k_splits = tuple(s for s in k_splits if s < k)
        threads = 1 + index % 2
        rows = [4, 1, 8][index % 3]
        yield pytest.param(m, n, k, packing, n_splits, k_splits, threads, rows,
                           id=f"m{m}-n{n}-k{k}-{packing}-n{len(n_splits)}k{len(k_splits)}"
                              f"-t{threads}-r{rows}")


# The int8 instructions follow from the target: the portable kernel for a
# generic x86-64, AVX-512 VNNI for the host, AVX-VNNI for the host without
# AVX-512 VNNI.
TARGETS = {"generic": "cpu=generic", "avx512_vnni": "cpu=native",
           "avx_vnni": "cpu=native features=-avx512vnni"}


def run_case(tools, m, n, k, packing, n_splits, k_splits, threads, rows, int8,
             dot="generic", layout=None, seed=0, l2_cache_kib=0,
             panel_min_act_rows=None, lookup_tables=False):
    rng = np.random.default_rng(seed + m * 7 + n * 13 + k)
    x = (rng.standard_normal((m, k)) * 2).astype(f32)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = rng.uniform(0.01, 0.1,
                         size=(len(n_splits) + 1, len(k_splits) + 1)).astype(f32)
    text = module(x, trits, scales, n_splits, k_splits, packing, int8, layout=layout)
    panel = ("" if panel_min_act_rows is None
             else f" panel-min-act-rows={panel_min_act_rows}")
    tables = f" lookup-tables={int(lookup_tables)}"
    pipeline = [f"--trilm-cpu-pipeline=threads=true rows={rows} {TARGETS[dot]} "
                f"l2-cache-kib={l2_cache_kib}{panel}{tables}"]
    got = execute(tools, text, fold_pack=True, pipeline=pipeline, threads=threads)
    want = reference(x, trits, scales, n_splits, k_splits, int8)
    if int8:
        np.testing.assert_array_equal(got.astype(np.int32), want.view(np.int32).ravel())
    else:
        got_values = got.astype(np.int32).view(f32)
        np.testing.assert_allclose(got_values, want.ravel(), rtol=0,
                                   atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("m,n,k,packing,n_splits,k_splits,threads,rows", cases())
def test_cpu_kernel(tools, m, n, k, packing, n_splits, k_splits, threads, rows, int8):
    run_case(tools, m, n, k, packing, n_splits, k_splits, threads, rows, int8)


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_cache_blocks(tools, packing, int8):
    # An 8 KiB L2 makes cache blocks of a few tiles along N and M, with a
    # partial block at the end of each (N = 203, M = 37).
    run_case(tools, 37, 203, 1000, packing, (100,), (300,), 2, 4, int8,
             l2_cache_kib=8)


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("n", [256, 1024])
def test_gemv_streams(tools, packing, int8, n):
    # A GEMV whose output blocks the tiles of 4 rows divide into 4 streams:
    # each task takes the tiles of its block's quarters in turn
    # (kernel_config streams = 4); row-interleaved weights as compiled models
    # store them. N = 256 has little enough work to be one block of 256 rows
    # (no thread fork) except in float mode; N = 1024 is 16 blocks of 64.
    run_case(tools, 1, n, 700, packing, (n // 2,), (300,), 2, 4, int8,
             layout="#ternary.row_interleave<4>")


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("m", [5, 37])
def test_target_tiles(tools, packing, int8, m):
    # The tiles the target chooses (rows=0), as compiled models get them:
    # 1.6-bit int8 GEMMs take 2 weight rows and up to 8 activation rows per
    # tile from weights interleaved by 4, as their GEMV asks.
    run_case(tools, m, 36, 700, packing, (20,), (300,), 2, 0, int8,
             dot="avx512_vnni" if HAS_AVX512_VNNI else "generic",
             layout="#ternary.row_interleave<4>")


@pytest.mark.skipif(not HAS_AVX512_VNNI, reason="this CPU has no AVX-512 VNNI")
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("m", [1, 5])
def test_avx512_vnni_kernel(tools, packing, m):
    run_case(tools, m, 37, 700, packing, (20,), (300,), 2, 4, True, dot="avx512_vnni")


# The panel kernel (ternary_cpu.panel_matmul): N that is not a multiple of
# the 32-row panels, M that is not one of the 12-row activation blocks, K
# groups that cut blocks, row groups inside a panel, interleaved weights,
# the threshold met or not (then the register tiles run); with the portable
# dot products as well as AVX-512 VNNI.
PANEL_CASES = [
    # m, n, k, n_splits, k_splits, threads, layout, smallest M
    (37, 70, 700, (20,), (300,), 2, None, 1),
    (64, 96, 512, (), (), 1, "#ternary.row_interleave<4>", 32),
    (13, 40, 1100, (33,), (257, 600, 900), 2, None, 13),
    (5, 33, 300, (), (100,), 2, None, 6),
]


@pytest.mark.parametrize("dot", ["generic", "avx512_vnni"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("m,n,k,n_splits,k_splits,threads,layout,smallest", PANEL_CASES)
def test_panel_kernel(tools, m, n, k, packing, n_splits, k_splits, threads, layout,
                      smallest, dot):
    if dot == "avx512_vnni" and not HAS_AVX512_VNNI:
        pytest.skip("this CPU has no AVX-512 VNNI")
    run_case(tools, m, n, k, packing, n_splits, k_splits, threads, 4, True,
             dot=dot, layout=layout, panel_min_act_rows=smallest)


@pytest.mark.skipif(not HAS_AVX_VNNI, reason="this CPU has no AVX-VNNI")
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("m", [1, 5])
def test_avx_vnni_kernel(tools, packing, m):
    run_case(tools, m, 37, 700, packing, (20,), (300,), 2, 4, True, dot="avx_vnni")


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_row_interleaved_weights(tools, packing, int8):
    run_case(tools, 3, 24, 520, packing, (), (260,), 2, 4, int8,
             layout="#ternary.row_interleave<8>")


@pytest.mark.parametrize("element", ["f16", "bf16"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_half_precision_activations(tools, element, packing):
    rng = np.random.default_rng(3)
    m, n, k = 3, 12, 520
    x = half_precision_activations(rng, m, k, element, spread=2)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = np.array([[0.03, 0.05]], dtype=f32)
    text = module(x, trits, scales, (), (256,), packing, False, element)
    got = execute(tools, text, fold_pack=True,
                  pipeline=["--trilm-cpu-pipeline=threads=true"], threads=2)
    want = reference(x, trits, scales, (), (256,), False)
    np.testing.assert_allclose(got.astype(np.int32).view(f32), want.ravel(), rtol=0,
                               atol=1e-5 * np.abs(want).max())


# The lookup-table kernel (ternary_cpu.table_matmul) of int8 1.6-bit weights
# stored as trit triples: GEMVs and a few activation rows, one to eight
# 32-row groups per tile, K groups that cut blocks and triples, row groups
# inside a group, a cache block of a few groups (streams), the portable
# lookups as well as vpermw.
# Prompts from `smallest` rows on take the panel kernel, decoding the
# triples' digits into panels of 64 rows (only where N is a multiple of 64).
TABLE_CASES = [
    # m, n, k, n_splits, k_splits, threads, l2 KiB, smallest M
    (1, 128, 700, (20,), (300,), 2, 0, None),
    (1, 256, 1024, (), (), 1, 0, None),
    (3, 64, 1100, (33,), (257, 600, 900), 2, 0, None),
    (1, 1024, 512, (512,), (), 2, 16, None),
    (13, 192, 1100, (70,), (257, 600, 900), 2, 0, 6),
    (37, 128, 512, (), (), 1, 8, 6),
    (5, 64, 300, (), (100,), 2, 0, 0),
    (1, 96, 700, (40,), (300,), 2, 0, None),
    (9, 160, 520, (), (256,), 2, 0, 6),
]


@pytest.mark.parametrize("dot", ["generic", "avx512_vnni"])
@pytest.mark.parametrize("m,n,k,n_splits,k_splits,threads,l2,smallest", TABLE_CASES)
def test_lookup_table_kernel(tools, m, n, k, n_splits, k_splits, threads, l2, smallest,
                             dot):
    if dot == "avx512_vnni" and "avx512vbmi" not in CPU_FLAGS:
        pytest.skip("this CPU has no AVX-512 VBMI")
    run_case(tools, m, n, k, "tq1", n_splits, k_splits, threads, 0, True, dot=dot,
             l2_cache_kib=l2, lookup_tables=True, panel_min_act_rows=smallest)
