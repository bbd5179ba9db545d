"""The PyTorch exporter (needs torch; skipped where it is not installed).

Ops of format 1.0 are checked end to end through convrun ($CONVRUN, else .build/{release,debug}/convrun);
1.1 mappings are checked on the produced graph, and end to end once convrun knows the op.
"""

from __future__ import annotations

import os
import stat
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import c1d  # noqa: E402
import export_probes as probes  # noqa: E402
from c1d import format as c1dformat  # noqa: E402


def _convrun():
    for candidate in (os.environ.get("CONVRUN"), os.path.join(ROOT, ".build-test", "release", "convrun"),
                      os.path.join(ROOT, ".build", "release", "convrun"),
                      os.path.join(ROOT, ".build", "debug", "convrun")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


CONVRUN = _convrun()
needs_convrun = pytest.mark.skipif(CONVRUN is None, reason="convrun not built (set CONVRUN)")


def ops(model):
    return [n["op"] for n in model.graph["nodes"]]


def export_checked(module, x, tmp_path, **options):
    """Exports with the convrun check required; returns the model, or skips when convrun lacks a 1.1 op."""
    with _no_skip_warning():
        return c1d.export(module, x, tmp_path / "m.c1d", check=True, convrun=CONVRUN, **options)


class _no_skip_warning:
    """Skips the test (with convrun's reason) when convrun does not know an op of the graph yet."""

    def __enter__(self):
        import warnings
        self._catch = warnings.catch_warnings(record=True)
        self._records = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        skipped = [w for w in self._records if issubclass(w.category, c1d.CheckSkipped)]
        if exc[0] is None and skipped:
            pytest.skip(f"convrun does not run this 1.1 graph yet: {skipped[0].message}")
        return False


def header_version(path):
    data = open(path, "rb").read(12)
    return int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")


# -- the silently-wrong patterns of issue 13 ---------------------------------------------------

def test_inplace_relu_feeding_a_skip_adds_the_rectified_value_twice(tmp_path):
    model = c1d.to_model(probes.InplaceReluSkip(), torch.randn(2, 3, 16))
    add = next(n for n in model.graph["nodes"] if n["op"] == "add")
    relu = next(n for n in model.graph["nodes"] if n["op"] == "relu")
    assert add["inputs"] == [relu["outputs"][0]] * 2


@needs_convrun
def test_inplace_relu_skip_matches_pytorch(tmp_path):
    export_checked(probes.InplaceReluSkip(), torch.randn(2, 3, 16), tmp_path)


def test_old_style_weight_norm_is_computed_from_g_and_v_not_the_cached_weight():
    module = probes.stale_weight_norm()
    conv = module[0]
    expected = torch._weight_norm(conv.weight_v, conv.weight_g, 0).detach().numpy()
    assert not np.allclose(conv.weight.detach().numpy(), expected)  # the cache really is stale
    model = c1d.to_model(module, torch.randn(1, 3, 12))
    weight = next(v for k, v in model.tensors.items() if k.endswith(".weight"))
    np.testing.assert_allclose(weight, expected, rtol=1e-6)


@needs_convrun
def test_weight_normed_conv_subclass_that_pads_keeps_the_pad(tmp_path):
    x = torch.randn(2, 3, 20)
    model = export_checked(probes.weight_normed_padding_conv(), x, tmp_path)
    conv = next(n for n in model.graph["nodes"] if n["op"] == "conv1d")
    pads = [n for n in model.graph["nodes"] if n["op"] == "pad"]
    assert pads and pads[0]["attributes"]["left"] == 4 and pads[0]["attributes"]["right"] == 0
    assert conv["inputs"] == pads[0]["outputs"]


# -- capture patterns --------------------------------------------------------------------------

CAPTURED_1_0 = [
    ("control_flow", probes.ControlFlow, (2, 2, 12), {"conv1d", "flatten"}),
    ("view_head", probes.ViewHead, (1, 2, 16), {"global_avg_pool1d", "flatten"}),
    ("squeeze_head", probes.SqueezeHead, (2, 2, 16), {"global_avg_pool1d", "flatten"}),
    ("flatten_head", probes.FlattenHead, (2, 2, 16), {"flatten", "linear"}),
    ("subclassed_conv", lambda: probes.SubclassedConv(2, 3, 3), (2, 2, 10), {"conv1d", "leaky_relu"}),
    ("channels_last_block", probes.ChannelsLastBlock, (2, 4, 9), {"layer_norm", "conv1d", "gelu"}),
]


@pytest.mark.parametrize("name,make,shape,expected", CAPTURED_1_0, ids=[c[0] for c in CAPTURED_1_0])
def test_capture_patterns_produce_the_expected_ops(name, make, shape, expected):
    torch.manual_seed(0)
    model = c1d.to_model(make(), torch.randn(*shape))
    assert expected <= set(ops(model))


@needs_convrun
@pytest.mark.parametrize("name,make,shape,expected", CAPTURED_1_0, ids=[c[0] for c in CAPTURED_1_0])
def test_capture_patterns_match_pytorch(name, make, shape, expected, tmp_path):
    torch.manual_seed(0)
    export_checked(make(), torch.randn(*shape), tmp_path)


def test_chunk_loop_becomes_narrows_and_an_add_chain():
    model = c1d.to_model(probes.ChunkLoop(), torch.randn(2, 2, 8))
    pieces = [n["attributes"] for n in model.graph["nodes"] if n["op"] == "narrow"]
    assert pieces == [{"axis": "channels", "start": s, "length": 2} for s in (0, 2, 4, 6)]
    assert ops(model).count("sigmoid") == 4


def test_shape_arithmetic_pad_is_evaluated_at_the_example():
    model = c1d.to_model(probes.ShapePad(), torch.randn(2, 2, 13))
    conv = next(n for n in model.graph["nodes"] if n["op"] == "conv1d")
    pad = next((n for n in model.graph["nodes"] if n["op"] == "pad"), None)
    total = (pad["attributes"]["right"] if pad else 0) + conv["attributes"]["padding"] * 2
    assert total == 3


def test_stack_sum_is_an_add():
    model = c1d.to_model(probes.StackSum(), torch.randn(2, 2, 8))
    assert ops(model).count("add") == 1 and "stack" not in ops(model)


def test_channel_scale_is_a_c_by_1_constant():
    module = probes.ChannelScale()
    model = c1d.to_model(module, torch.randn(2, 2, 8))
    const = next(n for n in model.graph["nodes"] if n["op"] == "constant")
    value = model.tensors[const["params"]["value"]]
    assert value.shape == (4, 1)
    np.testing.assert_array_equal(value[:, 0], module.scale.detach().reshape(-1).numpy())


def test_scalar_becomes_a_1_by_1_constant():
    model = c1d.to_model(probes.SqueezeExcite(), torch.randn(2, 3, 10))
    consts = [model.tensors[n["params"]["value"]] for n in model.graph["nodes"] if n["op"] == "constant"]
    assert any(c.shape == (1, 1) and c[0, 0] == 0.5 for c in consts)
    reduce = next(n for n in model.graph["nodes"] if n["op"] == "reduce")
    assert reduce["attributes"]["kind"] == "mean" and reduce["attributes"]["axis"] == "time"


def test_snake_becomes_one_node_with_the_reciprocal_folded():
    module = nn.Sequential(nn.Conv1d(2, 3, 3), probes.Snake(3))
    model = c1d.to_model(module, torch.randn(2, 2, 10))
    assert ops(model) == ["conv1d", "snake"]
    snake = model.graph["nodes"][1]
    alpha = module[1].alpha.detach().reshape(-1)
    np.testing.assert_array_equal(model.tensors[snake["params"]["alpha"]], alpha.numpy())
    np.testing.assert_allclose(model.tensors[snake["params"]["scale"]], (1.0 / (alpha + 1e-9)).numpy(), rtol=1e-7)


NORMS = [
    ("global", lambda: nn.Sequential(nn.Conv1d(2, 6, 3), probes.GlobalLayerNorm(6)), "group_norm", True),
    ("channel", lambda: nn.Sequential(nn.Conv1d(2, 6, 3), probes.ChannelLayerNorm(6)), "layer_norm", True),
    ("time", lambda: nn.Sequential(nn.Conv1d(2, 6, 3), probes.TimeNorm()), "instance_norm", False),
]


@pytest.mark.parametrize("name,make,op,affine", NORMS, ids=[n[0] for n in NORMS])
def test_hand_written_norms_become_one_norm_node(name, make, op, affine):
    torch.manual_seed(0)
    model = c1d.to_model(make(), torch.randn(2, 2, 12))
    assert ops(model) == ["conv1d", op]
    assert model.graph["nodes"][1]["attributes"]["affine"] is affine


@needs_convrun
@pytest.mark.parametrize("name,make,op,affine", NORMS[:2], ids=[n[0] for n in NORMS[:2]])
def test_hand_written_norms_match_pytorch(name, make, op, affine, tmp_path):
    torch.manual_seed(0)
    export_checked(make(), torch.randn(2, 2, 12), tmp_path)


def test_biased_and_unbiased_variance_are_told_apart():
    class Unbiased(nn.Module):
        def forward(self, x):
            return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + 1e-5)

    assert "instance_norm" not in ops(c1d.to_model(Unbiased(), torch.randn(2, 3, 12)))


def test_dropout_of_every_kind_is_dropped():
    module = nn.Sequential(nn.Conv1d(2, 3, 3), nn.Dropout(0.5), nn.Dropout1d(0.3), nn.AlphaDropout(0.2))
    assert ops(c1d.to_model(module, torch.randn(2, 2, 10))) == ["conv1d"]


def test_training_mode_is_restored(tmp_path):
    module = nn.Sequential(nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3))
    module.train()
    module[1].eval()
    c1d.export(module, torch.randn(2, 2, 10), tmp_path / "m.c1d", check=False)
    assert module.training and module[0].training and not module[1].training


# -- 1.1 op mappings (graph level) -------------------------------------------------------------

MAPPED_1_1 = [
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Hardtanh()), "clamp", {"min": -1.0, "max": 1.0}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU6()), "clamp", {"min": 0.0, "max": 6.0}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Softplus(beta=2.0)), "softplus", {"beta": 2.0, "threshold": 20.0}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Mish()), "mish", {}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Hardswish()), "hardswish", {}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.GLU(dim=1)), "glu", {"axis": "channels"}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Softmax(dim=1)), "softmax", {"axis": "channels"}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.InstanceNorm1d(4)), "instance_norm",
     {"num_channels": 4, "eps": 1e-5, "affine": False}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Upsample(scale_factor=2)), "upsample",
     {"mode": "nearest", "scale_factor": 2.0, "size": None}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.Upsample(size=20, mode="linear")), "upsample",
     {"mode": "linear", "size": 20, "scale_factor": None, "align_corners": False}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.AdaptiveAvgPool1d(3)), "adaptive_avg_pool1d", {"output_size": 3}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.AdaptiveMaxPool1d(2)), "adaptive_max_pool1d", {"output_size": 2}),
    (lambda: nn.Sequential(nn.Conv1d(2, 4, 3), nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1)),
     "conv_transpose1d", {"in_channels": 4, "out_channels": 2, "kernel_size": 4, "stride": 2, "padding": 1,
                          "output_padding": 0, "dilation": 1, "groups": 1, "bias": True}),
]


@pytest.mark.parametrize("make,op,attributes", MAPPED_1_1, ids=[m[1] + str(i) for i, m in enumerate(MAPPED_1_1)])
def test_1_1_mappings(make, op, attributes, tmp_path):
    torch.manual_seed(0)
    model = c1d.export(make(), torch.randn(2, 2, 10), tmp_path / "m.c1d", check=False)
    node = next(n for n in model.graph["nodes"] if n["op"] == op)
    assert {k: node["attributes"][k] for k in attributes} == attributes
    assert header_version(tmp_path / "m.c1d") == (1, 1)


@pytest.mark.parametrize("make,op,attributes", MAPPED_1_1, ids=[m[1] + str(i) for i, m in enumerate(MAPPED_1_1)])
def test_1_1_graphs_compute_what_pytorch_does_in_the_reference_interpreter(make, op, attributes):
    from c1d.export_reference import run

    torch.manual_seed(0)
    module, x = make().eval(), torch.randn(2, 2, 10)
    model = c1d.to_model(module, x)
    with torch.no_grad():
        np.testing.assert_allclose(run(model, x)[0].numpy(), module(x).numpy(), rtol=1e-5, atol=1e-6)


@needs_convrun
@pytest.mark.parametrize("make,op,attributes", MAPPED_1_1, ids=[m[1] + str(i) for i, m in enumerate(MAPPED_1_1)])
def test_1_1_mappings_match_pytorch_when_convrun_knows_them(make, op, attributes, tmp_path):
    torch.manual_seed(0)
    export_checked(make(), torch.randn(2, 2, 10), tmp_path)


def test_a_1_0_graph_is_written_as_version_1_0(tmp_path):
    c1d.export(nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU()), torch.randn(1, 2, 8), tmp_path / "m.c1d", check=False)
    assert header_version(tmp_path / "m.c1d") == (1, 0)


# -- refusals and failure atomicity ------------------------------------------------------------

@pytest.mark.parametrize("make,op,module", [
    (probes.WithLSTM, "lstm", "rnn"),
    (probes.WithAttention, "attention", "attn"),
    (probes.WithCumsum, "cumsum", None),
], ids=["lstm", "attention", "cumsum"])
def test_refusals_name_op_module_and_source_line(make, op, module, tmp_path):
    path = tmp_path / "m.c1d"
    with pytest.raises(c1d.UnsupportedOperation) as info:
        c1d.export(make(), torch.randn(2, 2, 10), path, check=False)
    message = str(info.value)
    assert op in message.lower()
    if module:
        assert f"module: {module}" in message
    assert "export_probes.py" in message  # the user's source line
    assert not path.exists() and not list(tmp_path.iterdir())


def test_torchscript_modules_are_refused_by_name(tmp_path):
    inner = torch.jit.script(nn.Conv1d(2, 3, 3))
    with pytest.raises(c1d.UnsupportedOperation, match="TorchScript.*encoder"):
        c1d.export(_Wrap(inner), torch.randn(1, 2, 8), tmp_path / "m.c1d", check=False)
    assert not list(tmp_path.iterdir())


class _Wrap(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x):
        return self.encoder(x)


def _fake_convrun(tmp_path, scale):
    """A stand-in for convrun that writes the PyTorch answer times `scale` (a broken engine)."""
    script = tmp_path / "fake_convrun"
    script.write_text(
        "#!" + sys.executable + "\n"
        "import sys, numpy as np, torch\n"
        "x = torch.from_numpy(np.load(sys.argv[2]))\n"
        "torch.manual_seed(0)\n"
        "conv = torch.nn.Conv1d(2, 3, 3)\n"
        f"np.save(sys.argv[4], (conv(x) * {scale}).detach().numpy())\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_check_raises_with_the_error_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    torch.manual_seed(0)
    conv = nn.Conv1d(2, 3, 3)
    with pytest.raises(c1d.ExportCheckError, match="differs from PyTorch by 0.01"):
        c1d.export(conv, torch.randn(2, 2, 9), out / "m.c1d", check=True, convrun=_fake_convrun(tmp_path, 1.01))
    assert not list(out.iterdir())


def test_check_passes_with_a_faithful_engine(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    torch.manual_seed(0)
    conv = nn.Conv1d(2, 3, 3)
    c1d.export(conv, torch.randn(2, 2, 9), out / "m.c1d", check=True, convrun=_fake_convrun(tmp_path, 1.0))
    assert [p.name for p in out.iterdir()] == ["m.c1d"]


def test_check_true_without_convrun_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVRUN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(c1d.ExportCheckError, match="needs convrun"):
        c1d.export(nn.Conv1d(2, 3, 3), torch.randn(1, 2, 8), tmp_path / "m.c1d", check=True)


# -- options -----------------------------------------------------------------------------------

def test_options_reach_the_file(tmp_path):
    conv = nn.Conv1d(4, 6, 3, padding="same", padding_mode="reflect")
    model = c1d.export(conv, torch.randn(1, 4, 20), tmp_path / "m.c1d", dtype="f16", codec="shuffle-deflate",
                       name="n", description="d", license="MIT", fixed_length=True, sample_rate=16000, check=False)
    back = c1d.load(tmp_path / "m.c1d")
    node = back.graph["nodes"][0]
    assert (node["attributes"]["padding"], node["attributes"]["padding_mode"]) == (1, "reflect")
    assert back.graph["inputs"][0] == {"name": "input", "channels": 4, "length": 20, "sample_rate": 16000.0}
    assert {k: back.metadata[k][1] for k in ("name", "description", "license")} == \
        {"name": "n", "description": "d", "license": "MIT"}
    header = c1dformat.load(tmp_path / "m.c1d")
    for name, values in model.tensors.items():
        np.testing.assert_array_equal(header.tensors[name], values.astype(np.float16).astype(np.float32))


@needs_convrun
def test_waveform_input_is_one_channel(tmp_path):
    class Wave(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 4, 5, stride=2)

        def forward(self, wav):
            return self.conv(wav.unsqueeze(1))

    model = export_checked(Wave(), torch.randn(2, 40), tmp_path)
    assert model.graph["inputs"][0]["channels"] == 1


class _LengthsBeside(nn.Module):
    """Returns (output, lengths), lengths a constant: the file holds the output only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.norm = nn.LayerNorm([3, 8])
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.normal_()

    def forward(self, x):
        return F.rrelu(self.norm(self.conv(x)), training=False), torch.tensor([x.shape[-1]])


def test_constant_outputs_are_left_out_and_layer_norm_over_channels_and_time_maps(tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = c1d.export(_LengthsBeside(), torch.randn(2, 2, 10), tmp_path / "m.c1d", check=None)
    assert len(model.graph["outputs"]) == 1
    assert any("leaves them out" in str(w.message) for w in caught)
    assert ops(model)[:2] == ["conv1d", "group_norm"] and "leaky_relu" in ops(model)


def test_a_graph_that_holds_at_the_example_length_only_gets_that_length_fixed(tmp_path):
    with pytest.warns(UserWarning, match="length is fixed"):
        model = c1d.export(probes.HalfCrop(), torch.randn(2, 2, 12), tmp_path / "m.c1d", check=None)
    assert model.graph["inputs"][0]["length"] == 12
    assert c1d.load(tmp_path / "m.c1d").graph["inputs"][0]["length"] == 12


def test_a_length_generic_graph_keeps_its_length_open(tmp_path):
    model = c1d.export(probes.InplaceReluSkip(), torch.randn(2, 3, 12), tmp_path / "m.c1d", check=None)
    assert model.graph["inputs"][0]["length"] is None


class _Counter(nn.Module):
    """forward() mutates a buffer: functionalisation returns it beside the output."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.register_buffer("calls", torch.zeros(()))

    def forward(self, x):
        self.calls += 1
        return torch.relu(self.conv(x))


def test_buffer_mutations_are_not_outputs_and_are_undone(tmp_path):
    module = _Counter()
    model = c1d.export(module, torch.randn(2, 2, 10), tmp_path / "m.c1d", check=None)
    assert ops(model) == ["conv1d", "relu"] and len(model.graph["outputs"]) == 1
    assert float(module.calls) == 0.0


class _BatchOfOne(nn.Module):
    """Written for a batch of one: x.view(1, -1) (the batch of two used for tracing would break it)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)

    def forward(self, x):
        return self.conv(x).view(1, -1)


def test_a_module_written_for_a_batch_of_one_is_traced_at_one(tmp_path):
    model = c1d.export(_BatchOfOne(), torch.randn(1, 2, 10), tmp_path / "m.c1d", check=None)
    assert ops(model) == ["conv1d", "flatten"]


def test_layer_norm_over_time_is_an_instance_norm_with_a_fixed_length(tmp_path):
    module = nn.Sequential(nn.Conv1d(2, 3, 3), nn.LayerNorm(8))
    with torch.no_grad():
        module[1].weight.uniform_(0.5, 1.5)
    with pytest.warns(UserWarning, match="length is fixed"):
        model = c1d.export(module, torch.randn(2, 2, 10), tmp_path / "m.c1d", check=None)
    assert ops(model)[:2] == ["conv1d", "instance_norm"] and model.graph["inputs"][0]["length"] == 10
