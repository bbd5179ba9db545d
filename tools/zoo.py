#!/usr/bin/env python3
"""The export zoo: real 1-D conv architectures, exported with c1d.export and run through convrun.

    python3 tools/zoo.py [--quick] [--only NAME ...] [--convrun PATH] [--json out.json]

Each model is built with random weights (seeded), randomised BatchNorm statistics, in eval mode, from its
own package (torchaudio, speechbrain, asteroid, pytorch-tcn, encodec, demucs; a missing package skips its
models) or from torch.nn alone (the architectures of tools/gen_fixtures.py). The export checks the file
against PyTorch through convrun (1e-4 relative). Prints one row per model:
status pass / pass-ref (the graph matches PyTorch in the torch reference interpreter; convrun does not
know one of its 1.1 ops yet) / refused(reason) / mismatch(error) / crash(error) / missing(package), export seconds (capture + conversion + the check), run seconds (one convrun run).

--quick runs the torch.nn-only subset (seconds; what the test suite runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import c1d  # noqa: E402

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------
# model builders: each returns (module, example input[, export options])

def _fixture(name, shape=None):
    def build():
        import gen_fixtures
        constructor, default_shape, *_ = gen_fixtures.ARCHITECTURES[name]
        return constructor(), torch.randn(shape or default_shape)
    return build


def wav2letter_waveform():
    import torchaudio.models as M
    return M.Wav2Letter(num_classes=29, input_type="waveform", num_features=1), torch.randn(1, 1, 8000)


def wav2letter_mfcc():
    import torchaudio.models as M
    return M.Wav2Letter(num_classes=29, input_type="mfcc", num_features=13), torch.randn(2, 13, 200)


def convtasnet_torchaudio():
    import torchaudio.models as M
    model = M.ConvTasNet(num_sources=2, enc_kernel_size=16, enc_num_feats=64, msk_kernel_size=3,
                         msk_num_feats=32, msk_num_hidden_feats=64, msk_num_layers=3, msk_num_stacks=2)
    return model, torch.randn(1, 1, 4000)


class _NoLengths(nn.Module):
    """Calls a module that takes (x, lengths) with lengths None and keeps the first output."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x, None)[0]


def wav2vec2_feature_extractor():
    from torchaudio.models.wav2vec2.components import _get_feature_extractor
    layers = [(64, 10, 5)] + [(64, 3, 2)] * 4 + [(64, 2, 2)] * 2
    return _NoLengths(_get_feature_extractor("group_norm", layers, bias=False)), torch.randn(2, 8000)


def wav2vec2_feature_extractor_layer_norm():
    from torchaudio.models.wav2vec2.components import _get_feature_extractor
    layers = [(64, 10, 5)] + [(64, 3, 2)] * 4 + [(64, 2, 2)] * 2
    return _NoLengths(_get_feature_extractor("layer_norm", layers, bias=True)), torch.randn(2, 8000)


def wav2vec2_base():
    import torchaudio.models as M
    return M.wav2vec2_model(extractor_mode="group_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2)],
                            extractor_conv_bias=False, encoder_embed_dim=32, encoder_projection_dropout=0.0,
                            encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=1,
                            encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=64,
                            encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
                            encoder_layer_drop=0.0, aux_num_out=None), torch.randn(1, 4000)


def hdemucs_low():
    import torchaudio.models as M
    return M.hdemucs_low(sources=["a", "b"]), torch.randn(1, 2, 4096)


def deepspeech():
    import torchaudio.models as M
    return M.DeepSpeech(n_feature=40, n_hidden=32, n_class=10), torch.randn(1, 1, 50, 40)


def ecapa_tdnn():
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN
    model = ECAPA_TDNN(input_size=40, lin_neurons=64, channels=[64, 64, 64, 64, 192], attention_channels=32)
    return model, torch.randn(2, 100, 40)


def ecapa_classifier():
    from speechbrain.lobes.models.ECAPA_TDNN import Classifier
    return Classifier(input_size=64, lin_neurons=32, out_neurons=10), torch.randn(2, 1, 64)


def xvector():
    from speechbrain.lobes.models.Xvector import Xvector
    return Xvector(in_channels=40, tdnn_channels=[64, 64, 64, 64, 192], lin_neurons=64), torch.randn(2, 100, 40)


def speechbrain_conv_tasnet_masknet():
    from speechbrain.lobes.models.conv_tasnet import MaskNet
    model = MaskNet(N=32, B=16, H=32, P=3, X=3, R=2, C=2, norm_type="gLN", causal=False, mask_nonlinear="relu")
    return model, torch.randn(2, 32, 200)


def speechbrain_conv_tasnet_encoder():
    from speechbrain.lobes.models.dual_path import Encoder
    return Encoder(kernel_size=16, out_channels=64), torch.randn(2, 4000)


def speechbrain_resnet_tdnn():
    from speechbrain.lobes.models.ResNet import ResNet
    return ResNet(input_size=40, channels=[16, 16, 32, 32], strides=[1, 2, 2, 2], block_sizes=[1, 1, 1, 1],
                  lin_neurons=32), torch.randn(2, 64, 40)


def asteroid_convtasnet():
    from asteroid.models import ConvTasNet
    return ConvTasNet(n_src=2, n_filters=64, kernel_size=16, stride=8, bn_chan=32, hid_chan=64, skip_chan=32,
                      n_blocks=3, n_repeats=2), torch.randn(2, 1, 4000)


def asteroid_sudormrf():
    from asteroid.models import SuDORMRFNet
    return SuDORMRFNet(n_src=2, bn_chan=32, num_blocks=2, upsampling_depth=3, in_chan=64, n_filters=64,
                       kernel_size=17, stride=8), torch.randn(2, 1, 4000)


def asteroid_dprnn():
    from asteroid.models import DPRNNTasNet
    return DPRNNTasNet(n_src=2, n_filters=32, kernel_size=16, stride=8, bn_chan=16, hid_size=16, chunk_size=20,
                       n_repeats=1), torch.randn(1, 1, 2000)


def pytorch_tcn_causal():
    from pytorch_tcn import TCN
    return TCN(num_inputs=8, num_channels=[16, 16, 16, 16], kernel_size=3, causal=True, use_norm="weight_norm",
               activation="relu", dropout=0.1), torch.randn(2, 8, 200)


def pytorch_tcn_batchnorm():
    from pytorch_tcn import TCN
    return TCN(num_inputs=8, num_channels=[16, 32, 32], kernel_size=5, causal=False, use_norm="batch_norm",
               activation="gelu", use_skip_connections=True), torch.randn(2, 8, 200)


def pytorch_tcn_layer_norm():
    from pytorch_tcn import TCN
    return TCN(num_inputs=8, num_channels=[16, 16], kernel_size=3, dilations=[1, 4], use_norm="layer_norm",
               activation="tanh", output_projection=5), torch.randn(2, 8, 100)


def encodec_encoder():
    from encodec.modules import SEANetEncoder
    return SEANetEncoder(channels=1, dimension=32, n_filters=8, n_residual_layers=1, ratios=[4, 2], lstm=0,
                         norm="weight_norm"), torch.randn(2, 1, 1600)


def encodec_decoder():
    from encodec.modules import SEANetDecoder
    return SEANetDecoder(channels=1, dimension=32, n_filters=8, n_residual_layers=1, ratios=[4, 2], lstm=0,
                         norm="weight_norm"), torch.randn(2, 32, 50)


def encodec_encoder_causal_lstm():
    from encodec.modules import SEANetEncoder
    return SEANetEncoder(channels=1, dimension=32, n_filters=8, n_residual_layers=1, ratios=[4, 2], lstm=1,
                         causal=True, norm="weight_norm"), torch.randn(1, 1, 1600)


def demucs_v2():
    from demucs.demucs import Demucs
    return Demucs(sources=["a", "b"], audio_channels=1, channels=8, depth=3, lstm_layers=0, resample=False,
                  rescale=0.1), torch.randn(1, 1, 2048)


def demucs_v2_resample():
    from demucs.demucs import Demucs
    return Demucs(sources=["a", "b"], audio_channels=1, channels=8, depth=3, lstm_layers=0), torch.randn(1, 1, 2048)


def demucs_v2_lstm():
    from demucs.demucs import Demucs
    return Demucs(sources=["a", "b"], audio_channels=1, channels=8, depth=3, lstm_layers=1), torch.randn(1, 1, 2048)


def dac_encoder():
    from dac.model.dac import Encoder
    return Encoder(d_model=16, strides=[2, 4], d_latent=32), torch.randn(2, 1, 1024)


def dac_decoder():
    from dac.model.dac import Decoder
    return Decoder(input_channel=32, channels=64, rates=[4, 2], d_out=1), torch.randn(2, 32, 32)


def dac_discriminator_mpd_free():
    from dac.nn.layers import WNConv1d, Snake1d
    return nn.Sequential(WNConv1d(1, 16, 7, padding=3), Snake1d(16), WNConv1d(16, 1, 3, padding=1)), \
        torch.randn(2, 1, 256)


def hifigan_generator():
    from speechbrain.lobes.models.HifiGAN import HifiganGenerator
    return HifiganGenerator(in_channels=20, out_channels=1, resblock_type="1", resblock_dilation_sizes=[[1, 3, 5]] * 2,
                            resblock_kernel_sizes=[3, 7], upsample_kernel_sizes=[8, 8],
                            upsample_initial_channel=32, upsample_factors=[4, 4]), torch.randn(1, 20, 30)


def hifigan_generator_v2():
    from speechbrain.lobes.models.HifiGAN import HifiganGenerator
    return HifiganGenerator(in_channels=20, out_channels=1, resblock_type="2", resblock_dilation_sizes=[[1, 3]] * 2,
                            resblock_kernel_sizes=[3, 5], upsample_kernel_sizes=[4, 4],
                            upsample_initial_channel=16, upsample_factors=[2, 2]), torch.randn(2, 20, 30)


def speechbrain_vanilla_nn():
    from speechbrain.lobes.models.VanillaNN import VanillaNN
    return VanillaNN(input_shape=[None, None, 40], dnn_neurons=32), torch.randn(2, 50, 40)


def speechbrain_dual_path_decoder():
    from speechbrain.lobes.models.dual_path import Decoder
    return Decoder(in_channels=64, out_channels=1, kernel_size=16, stride=8, bias=False), torch.randn(2, 64, 50)


def asteroid_tdconvnet():
    from asteroid.masknn import TDConvNet
    return TDConvNet(in_chan=32, n_src=2, n_blocks=2, n_repeats=1, bn_chan=16, hid_chan=32, skip_chan=16,
                     norm_type="cLN", mask_act="softmax"), torch.randn(2, 32, 100)


def asteroid_encoder_free():
    from asteroid_filterbanks import Encoder, FreeFB
    return Encoder(FreeFB(n_filters=64, kernel_size=16, stride=8)), torch.randn(2, 1, 1600)


def encodec_encoder_norm(norm, causal):
    def build():
        from encodec.modules import SEANetEncoder
        return SEANetEncoder(channels=1, dimension=16, n_filters=8, n_residual_layers=1, ratios=[2, 2], lstm=0,
                             norm=norm, causal=causal), torch.randn(2, 1, 800)
    return build


def asteroid_param_sinc():
    from asteroid_filterbanks import Encoder, ParamSincFB
    return Encoder(ParamSincFB(n_filters=32, kernel_size=65, stride=16)), torch.randn(2, 1, 1600)


def asteroid_stft_encoder():
    from asteroid_filterbanks import Encoder, STFTFB
    return Encoder(STFTFB(n_filters=64, kernel_size=64, stride=16)), torch.randn(2, 1, 1600)


def speechbrain_sinc_conv():
    from speechbrain.nnet.CNN import SincConv
    return SincConv(input_shape=[None, 1600], out_channels=16, kernel_size=65), torch.randn(2, 1600)


def conformer_conv_module():
    from torchaudio.models.conformer import _ConvolutionModule
    return _ConvolutionModule(input_dim=32, num_channels=64, depthwise_kernel_size=15), torch.randn(2, 50, 32)


def conformer_conv_module_group_norm():
    from torchaudio.models.conformer import _ConvolutionModule
    return _ConvolutionModule(input_dim=32, num_channels=64, depthwise_kernel_size=15, bias=True,
                              use_group_norm=True), torch.randn(2, 50, 32)


def wav2vec2_positional_conv():
    from torchaudio.models.wav2vec2.components import ConvolutionalPositionalEmbedding
    return ConvolutionalPositionalEmbedding(embed_dim=32, kernel_size=16, groups=4), torch.randn(2, 40, 32)


def contextnet():
    from speechbrain.lobes.models.ContextNet import ContextNet
    return ContextNet(input_shape=(None, None, 40), out_channels=32, conv_channels=[32] * 4, strides=[1, 2, 1, 2],
                      num_blocks=4, num_layers=2, inner_dim=8, alpha=1, dropout=0.1,
                      residuals=[False, True, True, True]), torch.randn(2, 64, 40)


# (name, package, builder, quick)
MODELS = [
    ("tcn", "torch.nn", _fixture("tcn", (2, 1, 256)), True),
    ("wavenet", "torch.nn", _fixture("wavenet", (1, 1, 512)), True),
    ("quartznet_block", "torch.nn", _fixture("quartznet_block", (1, 256, 100)), True),
    ("conv_tasnet_blocks", "torch.nn", _fixture("conv_tasnet", (1, 128, 200)), True),
    ("ecg_resnet", "torch.nn", _fixture("ecg_resnet", (2, 12, 512)), True),
    ("whisper_front", "torch.nn", _fixture("whisper_front", (1, 80, 200)), True),
    ("wav2vec2_feature_encoder", "torch.nn", _fixture("wav2vec2_feature_encoder", (1, 1, 4000)), False),
    ("wav2letter_waveform", "torchaudio", wav2letter_waveform, False),
    ("wav2letter_mfcc", "torchaudio", wav2letter_mfcc, False),
    ("conv_tasnet", "torchaudio", convtasnet_torchaudio, False),
    ("wav2vec2_feature_extractor_gn", "torchaudio", wav2vec2_feature_extractor, False),
    ("wav2vec2_feature_extractor_ln", "torchaudio", wav2vec2_feature_extractor_layer_norm, False),
    ("wav2vec2_model", "torchaudio", wav2vec2_base, False),
    ("conformer_conv_module", "torchaudio", conformer_conv_module, False),
    ("conformer_conv_module_gn", "torchaudio", conformer_conv_module_group_norm, False),
    ("wav2vec2_positional_conv", "torchaudio", wav2vec2_positional_conv, False),
    ("contextnet", "speechbrain", contextnet, False),
    ("hdemucs_low", "torchaudio", hdemucs_low, False),
    ("deepspeech", "torchaudio", deepspeech, False),
    ("ecapa_tdnn", "speechbrain", ecapa_tdnn, False),
    ("ecapa_classifier", "speechbrain", ecapa_classifier, False),
    ("xvector", "speechbrain", xvector, False),
    ("conv_tasnet_masknet", "speechbrain", speechbrain_conv_tasnet_masknet, False),
    ("dual_path_encoder", "speechbrain", speechbrain_conv_tasnet_encoder, False),
    ("resnet_tdnn", "speechbrain", speechbrain_resnet_tdnn, False),
    ("conv_tasnet", "asteroid", asteroid_convtasnet, False),
    ("sudormrf", "asteroid", asteroid_sudormrf, False),
    ("dprnn_tasnet", "asteroid", asteroid_dprnn, False),
    ("tdconvnet_cln_softmax", "asteroid", asteroid_tdconvnet, False),
    ("free_filterbank_encoder", "asteroid", asteroid_encoder_free, False),
    ("hifigan_generator_v1", "speechbrain", hifigan_generator, False),
    ("hifigan_generator_v2", "speechbrain", hifigan_generator_v2, False),
    ("vanilla_nn", "speechbrain", speechbrain_vanilla_nn, False),
    ("dual_path_decoder", "speechbrain", speechbrain_dual_path_decoder, False),
    ("dac_encoder", "descript-audio-codec", dac_encoder, False),
    ("dac_decoder", "descript-audio-codec", dac_decoder, False),
    ("dac_snake_block", "descript-audio-codec", dac_discriminator_mpd_free, False),
    ("tcn_causal_weight_norm", "pytorch-tcn", pytorch_tcn_causal, False),
    ("tcn_batch_norm_skips", "pytorch-tcn", pytorch_tcn_batchnorm, False),
    ("tcn_layer_norm_projection", "pytorch-tcn", pytorch_tcn_layer_norm, False),
    ("seanet_encoder", "encodec", encodec_encoder, False),
    ("seanet_decoder", "encodec", encodec_decoder, False),
    ("seanet_encoder_lstm", "encodec", encodec_encoder_causal_lstm, False),
    ("seanet_encoder_causal_spectral_norm", "encodec", encodec_encoder_norm("spectral_norm", True), False),
    ("seanet_encoder_time_group_norm", "encodec", encodec_encoder_norm("time_group_norm", False), False),
    ("seanet_encoder_time_layer_norm", "encodec", encodec_encoder_norm("time_layer_norm", True), False),
    ("param_sinc_encoder", "asteroid", asteroid_param_sinc, False),
    ("stft_encoder", "asteroid", asteroid_stft_encoder, False),
    ("sinc_conv", "speechbrain", speechbrain_sinc_conv, False),
    ("demucs_v2", "demucs", demucs_v2, False),
    ("demucs_v2_resample", "demucs", demucs_v2_resample, False),
    ("demucs_v2_lstm", "demucs", demucs_v2_lstm, False),
]


# ---------------------------------------------------------------------------------------------
# running one model

def randomize(module, seed):
    """Random BatchNorm statistics and norm affines, so that normalisation is really exercised."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            if isinstance(m, (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)):
                if getattr(m, "weight", None) is not None:
                    m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=g))
                if getattr(m, "bias", None) is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
    return module.eval()


def _short(text, width=90):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run_one(name, package, build, convrun, workdir, seed):
    row = {"model": name, "package": package, "status": "", "detail": "", "export_s": None, "run_s": None,
           "ops": {}}
    torch.manual_seed(seed)
    try:
        built = build()
    except ImportError as e:
        row["status"], row["detail"] = "missing", _short(e)
        return row
    module, example = built[0], built[1]
    options = built[2] if len(built) > 2 else {}
    randomize(module, seed)
    path = os.path.join(workdir, f"{package}-{name}.c1d".replace("/", "_"))
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Without convrun the export still checks the graph with the reference interpreter.
            model = c1d.export(module, example, path, check=True if convrun else None, convrun=convrun, **options)
        row["export_s"] = time.perf_counter() - start
        row["ops"] = _op_counts(model)
        skipped = [w for w in caught if issubclass(w.category, c1d.CheckSkipped)]
        if skipped:
            # The reference interpreter passed; convrun does not know an op of 1.1 yet.
            unknown = str(skipped[0].message).split("unknown op", 1)[-1].split(")")[0].strip(" '")
            row["status"], row["detail"] = "pass-ref", f"convrun lacks {unknown}"
        else:
            row["status"], row["detail"] = ("pass", "") if convrun else ("pass-ref", "no convrun")
            if convrun:
                row["run_s"] = _time_run(convrun, path, example, model, workdir)
    except c1d.UnsupportedOperation as e:
        row["status"], row["detail"] = "refused", _short(str(e).replace("\n", " |"), 160)
    except c1d.ExportCheckError as e:
        row["status"], row["detail"] = "mismatch", _short(e, 160)
    except Exception as e:  # noqa: BLE001 - the zoo reports every failure and goes on
        row["status"], row["detail"] = "crash", _short(f"{type(e).__name__}: {e}", 160)
    if row["export_s"] is None:
        row["export_s"] = time.perf_counter() - start
    return row


def _op_counts(model):
    counts = {}
    for node in model.graph["nodes"]:
        counts[node["op"]] = counts.get(node["op"], 0) + 1
    return counts


def _time_run(convrun, path, example, model, workdir):
    x = example
    channels = model.graph["inputs"][0]["channels"]
    if x.dim() == 2:
        x = x.unsqueeze(1) if channels == 1 and x.shape[0] != 1 else x.unsqueeze(0)
    elif x.shape[1] != channels:
        x = x.transpose(1, 2)
    inp = os.path.join(workdir, "in.npy")
    np.save(inp, x.contiguous().numpy().astype(np.float32))
    start = time.perf_counter()
    subprocess.run([convrun, path, inp, "-o", os.path.join(workdir, "out.npy")], check=True, capture_output=True)
    return time.perf_counter() - start


def find_convrun(given):
    if given:
        return given
    candidates = [os.environ.get("CONVRUN"), os.path.join(HERE, "..", ".build", "release", "convrun"),
                  shutil.which("convrun")]
    return next((os.path.abspath(c) for c in candidates if c and os.path.exists(c)), None)


def run(models, convrun, seed=0):
    rows = []
    with tempfile.TemporaryDirectory(prefix="c1d-zoo-") as workdir:
        for index, (name, package, build, _) in enumerate(models):
            rows.append(run_one(name, package, build, convrun, workdir, seed + index))
            print(format_row(rows[-1]), flush=True)
    return rows


def format_row(row):
    status = row["status"] + (f"({row['detail']})" if row["detail"] else "")
    run_s = f"{row['run_s']:.3f}" if row["run_s"] is not None else "-"
    return f"| {row['model']} | {row['package']} | {status} | {row['export_s']:.2f} | {run_s} |"


def summary(rows):
    lines = ["", "| model | package | status | export s | run s |", "|---|---|---|---|---|"]
    lines += [format_row(r) for r in rows]
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("")
    lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    import c1d.format as fmt
    needed = {}
    for r in rows:
        for op, n in r["ops"].items():
            if op in fmt.ATTRIBUTES_1_1:
                needed.setdefault(op, [0, 0])
                needed[op][0] += n
                needed[op][1] += 1
    if needed:
        lines.append("1.1 ops used (nodes, models): " + ", ".join(
            f"{op} {n}/{m}" for op, (n, m) in sorted(needed.items(), key=lambda kv: -kv[1][1])))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the torch.nn-only subset")
    parser.add_argument("--only", nargs="*", help="model names to run")
    parser.add_argument("--convrun", help="convrun binary (default: $CONVRUN, .build/release, PATH)")
    parser.add_argument("--json", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    models = [m for m in MODELS if (m[3] or not args.quick) and (not args.only or m[0] in args.only)]
    convrun = find_convrun(args.convrun)
    if not convrun:
        print("convrun not found: exporting without the check", file=sys.stderr)
    rows = run(models, convrun)
    print(summary(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    bad = [r for r in rows if r["status"] in ("mismatch", "crash")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
