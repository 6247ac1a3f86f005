"""ONNX models compiled by trilm-compile, against onnxruntime on the same file.

The graphs are built here with the onnx package: MLPs whose constant MatMul
and Gemm weights are ternary (found and packed by ternary-raise-matmul) or
not (compiled through linalg), with element-wise ops and broadcasting. The
compiled function takes the graph's inputs and then its outputs as memref
descriptors (`_mlir_ciface_<graph>`), called here through ctypes."""

import ctypes
import subprocess

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

OPSET = 17


def memref_type(rank):
    class MemRef(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]
    return MemRef


def descriptor(array):
    memref = memref_type(array.ndim)()
    memref.allocated = memref.aligned = array.ctypes.data
    memref.offset = 0
    for i, (size, stride) in enumerate(zip(array.shape, array.strides)):
        memref.sizes[i] = size
        memref.strides[i] = stride // array.itemsize
    return memref


def call(library, name, inputs, output_shapes):
    """Runs the compiled graph; returns its outputs."""
    lib = ctypes.CDLL(str(library))
    inputs = [np.ascontiguousarray(x, dtype=np.float32) for x in inputs]
    outputs = [np.zeros(shape, np.float32) for shape in output_shapes]
    descriptors = [descriptor(a) for a in inputs + outputs]
    getattr(lib, "_mlir_ciface_" + name)(*[ctypes.byref(d) for d in descriptors])
    return outputs


def ternary(rng, k, n, column_groups=1):
    """A [K, N] MatMul weight: trits times one scale per group of output
    columns (N)."""
    trits = rng.integers(-1, 2, size=(k, n)).astype(np.float32)
    scales = np.repeat(rng.integers(8, 40, column_groups) / 128.0, n // column_groups)
    return (trits * scales[None, :]).astype(np.float32)


def mlp_model(seed=0, batch=3):
    """x -> ternary MatMul -> +b -> Relu -> ternary MatMul (2 scale groups)
    -> +b -> Sigmoid -> Gemm(transB, alpha, beta; dense weights) -> Tanh -> *c."""
    rng = np.random.default_rng(seed)
    initializers = {
        "w1": ternary(rng, 256, 384), "b1": rng.standard_normal(384).astype(np.float32),
        "w2": ternary(rng, 384, 128, column_groups=2),
        "b2": rng.standard_normal((1, 128)).astype(np.float32),
        "w3": (rng.standard_normal((64, 128)) * 0.1).astype(np.float32),
        "c3": rng.standard_normal(64).astype(np.float32),
        "k": np.array([1.5], np.float32),
    }
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h1"], name="fc1"),
        helper.make_node("Add", ["h1", "b1"], ["h2"], name="bias1"),
        helper.make_node("Relu", ["h2"], ["h3"], name="relu"),
        helper.make_node("MatMul", ["h3", "w2"], ["h4"], name="fc2"),
        helper.make_node("Add", ["h4", "b2"], ["h5"], name="bias2"),
        helper.make_node("Sigmoid", ["h5"], ["h6"], name="sigmoid"),
        helper.make_node("Gemm", ["h6", "w3", "c3"], ["h7"], name="dense", transB=1,
                         alpha=0.5, beta=2.0),
        helper.make_node("Tanh", ["h7"], ["h8"], name="tanh"),
        helper.make_node("Mul", ["h8", "k"], ["y"], name="scale"),
    ]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 64])],
        [numpy_helper.from_array(v, name) for name, v in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             ir_version=8)


def trilm_compile(tools, model_path, output, *flags, check=True):
    result = subprocess.run([tools["compile"], str(model_path), "-o", str(output),
                             *flags], capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def onnxruntime_outputs(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def assert_close(got, want):
    error = np.max(np.abs(got - want)) / np.max(np.abs(want))
    assert error < 1e-4, error


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_mlp_matches_onnxruntime(tools, tmp_path, packing):
    path = tmp_path / "mlp.onnx"
    onnx.save(mlp_model(), path)
    x = np.random.default_rng(1).standard_normal((3, 256)).astype(np.float32)
    (want,) = onnxruntime_outputs(path, {"x": x})

    imported = trilm_compile(tools, path, tmp_path / "mlp.mlir", "--emit=imported",
                             f"--packing={packing}")
    text = (tmp_path / "mlp.mlir").read_text()
    # The two ternary MatMuls are found and packed; the dense Gemm is not.
    assert text.count("ternary.matmul") == 2, imported.stderr
    assert text.count(f"!ternary.packed<384x256, {packing}>") >= 1
    assert text.count("linalg.matmul") == 1

    trilm_compile(tools, path, tmp_path / "mlp.so", "--emit=lib", f"--packing={packing}")
    (got,) = call(tmp_path / "mlp.so", "mlp", [x], [(3, 64)])
    assert_close(got, want)


def test_external_data(tools, tmp_path):
    path = tmp_path / "mlp.onnx"
    onnx.save_model(mlp_model(seed=2), path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location="mlp.data", size_threshold=0)
    assert (tmp_path / "mlp.data").exists()
    x = np.random.default_rng(3).standard_normal((3, 256)).astype(np.float32)
    (want,) = onnxruntime_outputs(path, {"x": x})
    trilm_compile(tools, path, tmp_path / "mlp.so", "--emit=lib")
    (got,) = call(tmp_path / "mlp.so", "mlp", [x], [(3, 64)])
    assert_close(got, want)


def test_two_inputs_broadcasting_and_outputs(tools, tmp_path):
    """Graph inputs broadcast against each other; two outputs."""
    nodes = [helper.make_node("Sub", ["a", "b"], ["d"], name="sub"),
             helper.make_node("Div", ["d", "a"], ["q"], name="div"),
             helper.make_node("Neg", ["q"], ["n"], name="neg")]
    graph = helper.make_graph(
        nodes, "pair",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 1, 5]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, 1])],
        [helper.make_tensor_value_info("n", TensorProto.FLOAT, [2, 4, 5]),
         helper.make_tensor_value_info("d", TensorProto.FLOAT, [2, 4, 5])])
    path = tmp_path / "pair.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                ir_version=8), path)
    rng = np.random.default_rng(4)
    a = rng.uniform(1, 2, (2, 1, 5)).astype(np.float32)
    b = rng.standard_normal((4, 1)).astype(np.float32)
    want = onnxruntime_outputs(path, {"a": a, "b": b})
    trilm_compile(tools, path, tmp_path / "pair.so", "--emit=lib")
    got = call(tmp_path / "pair.so", "pair", [a, b], [(2, 4, 5), (2, 4, 5)])
    for g, w in zip(got, want):
        assert_close(g, w)


def with_node(model, node):
    model.graph.node.append(node)
    model.graph.output[0].name = node.output[0]
    return model


def escaping_data(model):
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="../outside.data")
    return model


def dynamic_input(model):
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    return model


def int_input(model):
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64
    return model


def old_opset(model):
    model.opset_import[0].version = 9
    return model


def broken_broadcast(model):
    model.graph.initializer[1].CopyFrom(
        numpy_helper.from_array(np.zeros(7, np.float32), "b1"))
    return model


def dangling_input(model):
    model.graph.node[1].input[0] = "nowhere"
    return model


ERRORS = {
    "softmax": (lambda m: with_node(m, helper.make_node("Softmax", ["y"], ["z"],
                                                        name="probs")),
                "node 'probs' (Softmax): op type not supported"),
    "opset": (old_opset, "opset 9 is not supported (13 to 21 are)"),
    "dynamic": (dynamic_input, "input 'x' has a dynamic dimension 0 ('batch'); trilm "
                               "compiles static shapes"),
    "element-type": (int_input, "input 'x' has element type INT64; trilm imports FLOAT "
                                "tensors"),
    "escaping-data": (escaping_data, "tensor 'w1' has external data at "
                                     "'../outside.data', outside the model's directory"),
    "broadcast": (broken_broadcast, "node 'bias1' (Add): shapes [3, 384] and [7] do not "
                                    "broadcast"),
    "dangling": (dangling_input, "node 'bias1' (Add): input 'nowhere' is produced by no "
                                 "earlier node"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_unsupported_models_get_one_error_line(tools, tmp_path, case):
    edit, message = ERRORS[case]
    path = tmp_path / f"{case}.onnx"
    onnx.save(edit(mlp_model()), path)
    result = trilm_compile(tools, path, tmp_path / "m.so", "--emit=lib", check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "m.so").exists()


def test_not_onnx(tools, tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\xff\xff\xff\xff not protobuf")
    result = trilm_compile(tools, path, tmp_path / "m.so", "--emit=lib", check=False)
    assert result.returncode == 1
    assert "is not an ONNX model (its protobuf does not parse)" in result.stderr


# LLaMA decoders exported from transformers.

LLAMA_TOKENS = [0, 17, 299, 5, 123, 42, 42, 7]


def export_llama(checkpoint, path, kv_cache=False):
    """torch.onnx.export of LlamaForCausalLM (static shapes), as transformers
    models are exported: logits only, or with past_key_values.N.key/value
    inputs (4 past positions) and present.N.key/value outputs."""
    import torch
    import transformers
    model = transformers.LlamaForCausalLM.from_pretrained(
        checkpoint, torch_dtype=torch.float32).eval()
    layers = model.config.num_hidden_layers
    kv_shape = (1, model.config.num_key_value_heads, 4,
                model.config.hidden_size // model.config.num_attention_heads)

    class Logits(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, *past):
            if not past:
                return self.model(input_ids=input_ids, use_cache=False).logits
            cache = transformers.DynamicCache.from_legacy_cache(
                tuple((past[2 * i], past[2 * i + 1]) for i in range(layers)))
            out = self.model(input_ids=input_ids, past_key_values=cache, use_cache=True)
            return (out.logits, *[t for kv in out.past_key_values.to_legacy_cache()
                                  for t in kv])

    names = [f"{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    past = [torch.zeros(kv_shape) for _ in names] if kv_cache else []
    with torch.no_grad():
        torch.onnx.export(Logits(model), (torch.tensor([LLAMA_TOKENS]), *past), str(path),
                          input_names=["input_ids"] + ["past_key_values." + n for n in names
                                                       if kv_cache],
                          output_names=["logits"] + ["present." + n for n in names
                                                     if kv_cache],
                          opset_version=OPSET)
    return path


@pytest.fixture(scope="module")
def llama_export(tmp_path_factory):
    from model_harness import reference_logits, write_checkpoint
    directory = tmp_path_factory.mktemp("llama")
    checkpoint = write_checkpoint(directory / "ckpt", kv_heads=2, model_parallel=3,
                                  dtype="float32")
    path = export_llama(checkpoint, directory / "llama.onnx")
    return path, reference_logits(checkpoint, LLAMA_TOKENS)


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_llama_export_runs_like_its_checkpoint(tools, llama_export, packing, tmp_path):
    """The export becomes the same llm + ternary model as its checkpoint (shard
    scales recovered), run by the runtime: logits equal transformers and
    onnxruntime on the same file."""
    from model_harness import Runtime, relative_error
    path, reference = llama_export
    result = trilm_compile(tools, path, tmp_path / "llama.so", "--emit=lib",
                           f"--packing={packing}")
    assert "ternary" in result.stderr
    imported = trilm_compile(tools, path, tmp_path / "llama.mlir", "--emit=imported")
    text = (tmp_path / "llama.mlir").read_text()
    for op in ("llm.rms_norm", "llm.rope", "llm.attention", "llm.gated_activation silu",
               "llm.lm_head"):
        assert op in text, (op, imported.stderr)
    # Three shards: the fused q/k/v weights carry 9 row groups.
    assert "scale_groups<n = [" in text

    model = Runtime(tools["build"]).open(tmp_path / "llama.so")
    assert (model.info.num_heads, model.info.num_kv_heads) == (4, 2)
    context = model.context(length=16, threads=2)
    got = context.eval(LLAMA_TOKENS)
    assert np.all(relative_error(got, reference) < 1e-4), relative_error(got, reference)
    (onnx_logits,) = onnxruntime_outputs(path, {"input_ids": np.array([LLAMA_TOKENS])})
    assert np.all(relative_error(got, onnx_logits[0]) < 1e-4)
    context.close()
    model.close()


def constant_tensor(model, name):
    """The initializer or Constant node value named `name`."""
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return tensor
    return next(n for n in model.graph.node if n.output[0] == name).attribute[0].t


def test_python_package_compiles_a_llama_export(tools, llama_export, tmp_path):
    from model_harness import import_package, relative_error
    trilm = import_package(tools["build"])
    path, reference = llama_export
    model = trilm.compile(path, activations="fp32", target="generic", progress=False,
                          output=tmp_path / "llama.so")
    got = model.context(16, 2).eval(LLAMA_TOKENS)
    assert np.all(relative_error(got, reference) < 1e-4)


def test_llama_export_with_kv_cache_inputs(tools, llama_export, tmp_path):
    """An export with past_key_values inputs and present outputs is the same
    model: the runtime keeps its own cache."""
    from model_harness import Runtime, relative_error
    checkpoint = llama_export[0].parent / "ckpt"
    path = export_llama(checkpoint, tmp_path / "llama-kv.onnx", kv_cache=True)
    inputs = [i.name for i in onnx.load(path).graph.input]
    assert "past_key_values.1.value" in inputs
    trilm_compile(tools, path, tmp_path / "llama.so", "--emit=lib")
    model = Runtime(tools["build"]).open(tmp_path / "llama.so")
    context = model.context(length=16, threads=2)
    got = np.stack([context.eval([token])[0] for token in LLAMA_TOKENS])
    assert np.all(relative_error(got, llama_export[1]) < 1e-4)
    context.close()
    model.close()


def scale_constant_input(model, node_suffix, input_index, factor):
    """Multiplies the constant that input `input_index` of the nodes named
    `...node_suffix` reads by `factor`."""
    for node in model.graph.node:
        if node.name.endswith(node_suffix):
            tensor = constant_tensor(model, node.input[input_index])
            values = (numpy_helper.to_array(tensor) * factor).astype(np.float32)
            tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    return model


def scaled_rope(model):
    return scale_constant_input(model, "/rotary_emb/Expand", 0, 0.5)


def gelu_gate(model):
    for node in model.graph.node:
        if node.name.endswith("layers.1/mlp/act_fn/Sigmoid"):
            node.op_type = "Tanh"
    return model


def layer_norm_epsilon(model):
    return scale_constant_input(model, "layers.1/post_attention_layernorm/Add", 1, 10)


LLAMA_ERRORS = {
    "scaled-rope": (scaled_rope, "are not theta^(-2i/d): scaled RoPE is not supported"),
    "activation": (gelu_gate, "layers.1/mlp/act_fn' is not SiLU (Sigmoid, Mul)"),
    "epsilon": (layer_norm_epsilon, "layers.1/post_attention_layernorm' has another "
                                    "epsilon than the first norm"),
}


@pytest.mark.parametrize("case", sorted(LLAMA_ERRORS))
def test_llama_exports_trilm_would_compile_differently(tools, llama_export, tmp_path, case):
    edit, message = LLAMA_ERRORS[case]
    path = tmp_path / f"{case}.onnx"
    onnx.save(edit(onnx.load(llama_export[0])), path)
    result = trilm_compile(tools, path, tmp_path / "m.so", "--emit=lib", check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
