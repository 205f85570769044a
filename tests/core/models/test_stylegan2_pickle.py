"""NVlabs StyleGAN2-ADA pickles: opened without running anything from the file, same pixels as NVlabs' code.

Nothing is downloaded. The pickles are written in NVlabs' on-disk format by our own writer (tests/nvlabs_reference.py): every network
object is a torch Module whose `__reduce__` does what torch_utils/persistence.py's decorator does (the call
`torch_utils.persistence._reconstruct_persistent_obj(meta)`, meta = {type, version 6, module_src, class_name,
state = the module's __dict__ with _init_args / _init_kwargs}), pickled by `pickle.dump` as their training
loop does, with dnnlib.util.EasyDict for kwargs. Stand-in modules in sys.modules give the globals NVlabs'
names while writing, and are gone before reading.

The pixels are checked against `reference_forward`, a functional forward pass written from the papers and
NVlabs' layer layout along NVlabs' own fast paths (fused grouped convolutions, transposed convolutions for
upsampling), independently of `ganstudio.core.models.stylegan2`.
"""

import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nvlabs_reference import (
    MODULE_SRC,
    Cfg,
    node,
    nvlabs_globals,
    nvlabs_pixels,
    reference_forward,
    reference_generator,
    write_snapshot,
)

from ganstudio.core.errors import CheckpointError, GanStudioError
from ganstudio.core.generators.handle import LatentRequest, open_generator
from ganstudio.core.models.nvlabs_pickle import (
    ALLOWED_GLOBALS,
    PersistentObject,
    import_nvlabs_pickle,
    is_nvlabs_pickle_file,
    read_nvlabs_pickle,
)

CASES = {
    "skip": Cfg(),
    "conditional-fp16-clamp": Cfg(c=5, w=24, fp16=2, clamp=256.0),
    "orig-16px": Cfg(z=8, w=8, res=16, arch="orig", layers=3),
    "resnet-grey-clamped": Cfg(z=12, c=3, w=12, ch=1, arch="resnet", clamp=0.5),
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """One written pickle per case: (path, the writer's G, its state dict)."""
    made = {}
    root = tmp_path_factory.mktemp("nvlabs")
    for name, cfg in CASES.items():
        G = reference_generator(cfg, seed=len(made))
        made[name] = (write_snapshot(root / f"network-snapshot-{name}.pkl", G), cfg, G.state_dict())
    return made


# --- rendering ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(CASES))
def test_the_pickle_renders_the_pixels_of_the_functional_forward(snapshot, case):
    path, cfg, sd = snapshot[case]
    gen = open_generator(path, device="cpu")
    assert (gen.input_kind, gen.z_dim, gen.n_classes, gen.image_size, gen.channels) == ("latent", cfg.z, cfg.c, cfg.res, cfg.ch)
    assert gen.truncates_in_w and gen.use_ema and gen.source == "nvlabs-stylegan2-ada"
    z = torch.randn(6, cfg.z, generator=torch.Generator().manual_seed(7))
    labels = np.arange(6) % cfg.c if cfg.c else None
    c = F.one_hot(torch.as_tensor(labels), cfg.c).float() if cfg.c else None
    for psi in (1.0, 0.7, 0.0, -0.4):
        with torch.no_grad():
            ref = reference_forward(sd, cfg, z, c, psi=psi)
        out = gen.generate(z.numpy(), labels, truncation_psi=psi)
        assert torch.allclose(out, ref, atol=2e-5), (psi, (out - ref).abs().max())
        result = gen.render(LatentRequest(z=z.numpy(), labels=labels, truncation_psi=psi))
        assert result.error is None
        diff = np.abs(result.pixels.astype(int) - nvlabs_pixels(ref).astype(int)).max()
        assert diff <= 2, (psi, diff)
    inside = (ref.abs() < 1).float().mean()
    assert inside > 0.5  # most pixels are not clamped, so the comparison sees them


def as_stylegan3_repo_writes_it(G):
    """The stylegan3 repository's StyleGAN2 (train.py --cfg=stylegan2): the synthesis settings flat beside
    z_dim, and fused_modconv_default, in the Generator's init kwargs."""
    kw = G._init_kwargs
    kw.update(kw.pop("synthesis_kwargs"), fused_modconv_default="inference_only")
    return G


def test_a_stylegan2_from_the_stylegan3_repository_renders_the_same_pixels(tmp_path):
    cfg = CASES["conditional-fp16-clamp"]
    G = as_stylegan3_repo_writes_it(reference_generator(cfg, seed=3))
    path = write_snapshot(tmp_path / "stylegan2-from-sg3-repo.pkl", G)
    gen = open_generator(path, device="cpu")
    z = torch.randn(4, cfg.z, generator=torch.Generator().manual_seed(2))
    labels = np.arange(4) % cfg.c
    with torch.no_grad():
        ref = reference_forward(G.state_dict(), cfg, z, F.one_hot(torch.as_tensor(labels), cfg.c).float(), psi=0.7)
    assert torch.allclose(gen.generate(z.numpy(), labels, truncation_psi=0.7), ref, atol=2e-5)
    for change, words in ((lambda kw: kw.update(fused_modconv_default="sometimes"), "fused_modconv_default"),
                          (lambda kw: kw.update(synthesis_kwargs={"channel_base": 256}), "channel_base twice")):
        odd = as_stylegan3_repo_writes_it(reference_generator(cfg, seed=3))
        change(odd._init_kwargs)
        with pytest.raises(CheckpointError, match=words):
            import_nvlabs_pickle(write_snapshot(tmp_path / "odd.pkl", odd))


def test_truncation_cutoff_and_noise_modes(snapshot):
    path, cfg, sd = snapshot["skip"]
    G = import_nvlabs_pickle(path).model
    z = torch.randn(3, cfg.z, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        cut = G(z, truncation_psi=0.5, truncation_cutoff=2)
        assert torch.allclose(cut, reference_forward(sd, cfg, z, psi=0.5, cutoff=2), atol=2e-5)
        const = G(z)
        assert torch.equal(G(z), const)  # 'const' noise: the same z gives the same pixels
        assert not torch.equal(G(z, noise_mode="random"), const)
        assert not torch.equal(G(z, noise_mode="none"), const)


def test_g_is_used_when_the_file_has_no_g_ema(tmp_path):
    cfg = Cfg(res=16)
    G = reference_generator(cfg, seed=5)
    path = tmp_path / "g-only.pkl"
    with nvlabs_globals(), open(path, "wb") as fh:
        pickle.dump(dict(G=G, D=None), fh)
    imported = import_nvlabs_pickle(path)
    assert imported.settings["network"] == "G"
    z = torch.randn(2, cfg.z)
    with torch.no_grad():
        assert torch.allclose(imported.model(z), reference_forward(G.state_dict(), cfg, z), atol=2e-5)
    assert not open_generator(path, device="cpu").use_ema


def test_settings_describe_the_network(snapshot):
    path, cfg, _ = snapshot["conditional-fp16-clamp"]
    s = import_nvlabs_pickle(path).settings
    assert {k: s[k] for k in ("network", "z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_layers")} == \
        {"network": "G_ema", "z_dim": cfg.z, "c_dim": cfg.c, "w_dim": cfg.w, "img_resolution": cfg.res, "img_channels": 3,
         "mapping_layers": cfg.layers}
    assert (s["num_ws"], s["num_fp16_res"], s["conv_clamp"], s["architecture"]) == (cfg.num_ws, 2, 256.0, "skip")
    info = open_generator(path, device="cpu").describe()
    assert info["n_classes"] == cfg.c and info["truncation"] == "w" and "StyleGAN2" in info["description"]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_reads_the_same(tmp_path, protocol):
    """Python 3.7 wrote protocol 3 (NVlabs' published files), 3.8+ writes 4; 2 spells bytes through _codecs."""
    cfg = Cfg(res=8, cmax=8)
    G = reference_generator(cfg, seed=2)
    path = write_snapshot(tmp_path / f"p{protocol}.pkl", G, protocol=protocol)
    z = torch.randn(2, cfg.z)
    with torch.no_grad():
        assert torch.allclose(import_nvlabs_pickle(path).model(z), reference_forward(G.state_dict(), cfg, z), atol=2e-5)


def test_the_writer_names_exactly_what_nvlabs_files_name(snapshot):
    """The globals of the written file are NVlabs' (the persistent-object call, torch's rebuild functions,
    OrderedDict, EasyDict, numpy scalars) and all lie in the allow-list; the reader sees inert records."""
    path, _, _ = snapshot["conditional-fp16-clamp"]
    names = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            names.add((module, name))
            return ALLOWED_GLOBALS[(module, name)]

    with open(path, "rb") as fh:
        Recorder(fh).load()
    assert ("torch_utils.persistence", "_reconstruct_persistent_obj") in names
    assert ("dnnlib.util", "EasyDict") in names and ("torch._utils", "_rebuild_parameter") in names
    assert any(m.startswith("numpy") and n == "scalar" for m, n in names)
    data = read_nvlabs_pickle(path)
    G = data["G_ema"]
    assert isinstance(G, PersistentObject) and G.class_name == "Generator" and G.version == 6
    assert G.module_src_chars == len(MODULE_SRC)
    assert G.init_kwargs["synthesis_kwargs"]["conv_clamp"] == 256.0
    assert isinstance(G.child("mapping").child("fc0").state["weight_gain"], np.floating)


# --- hostile files never run ---------------------------------------------------------------------------------

class _Payload:
    def __init__(self, reduce):
        self._reduce = reduce

    def __reduce__(self):
        return self._reduce


def _payloads(marker: Path):
    return {
        "open": (open, (str(marker), "w")),
        "exec": (exec, (f"open({str(marker)!r}, 'w').close()",)),
        "os.system": (os.system, (f"touch '{marker}'",)),
        "eval": (eval, (f"open({str(marker)!r}, 'w')",)),
    }


@pytest.mark.parametrize("kind", ["open", "exec", "os.system", "eval"])
def test_a_reduce_payload_is_refused_and_never_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    # the payload is real: the standard unpickler creates the file
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Payload(_payloads(proof)[kind])))
    assert proof.exists()
    path = write_snapshot(tmp_path / "evil.pkl", reference_generator(Cfg(res=8, cmax=8)),
                          training_set_kwargs=_Payload(_payloads(marker)[kind]))
    for load in (read_nvlabs_pickle, import_nvlabs_pickle, open_generator):
        with pytest.raises(CheckpointError, match=r"evil\.pkl was refused: it asks for the Python global") as info:
            load(path)
        assert "\n" not in str(info.value) and str(info.value).endswith(".")
        assert not marker.exists()
    assert {"open": "open", "exec": "builtins.exec", "os.system": "system", "eval": "builtins.eval"}[kind] in str(info.value)


def test_module_src_is_never_run(tmp_path):
    """A persistent object whose module_src creates a file: NVlabs' loader would exec it; ours renders the
    network from its data and the file never appears."""
    marker = tmp_path / "pwned"
    src = f"open({str(marker)!r}, 'w').close()\n"
    exec(src.replace(str(marker), str(tmp_path / "proof")), {})  # the text really creates a file when run
    assert (tmp_path / "proof").exists()
    cfg = Cfg(res=8, cmax=8)
    G = reference_generator(cfg, seed=4)
    evil = node("Generator", G._init_kwargs, children=dict(G.named_children()), module_src=src, **{
        k: getattr(G, k) for k in ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "num_ws")})
    path = write_snapshot(tmp_path / "evil-src.pkl", evil)
    gen = open_generator(path, device="cpu")
    z = torch.randn(2, cfg.z)
    assert torch.allclose(gen.generate(z), reference_forward(G.state_dict(), cfg, z), atol=2e-5)
    assert read_nvlabs_pickle(path)["G_ema"].module_src_chars == len(src)
    assert not marker.exists()
    assert not {"torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util"} & set(sys.modules)  # nothing imported


def test_an_unknown_global_is_refused_with_one_sentence_naming_it(tmp_path):
    path = write_snapshot(tmp_path / "odd.pkl", reference_generator(Cfg(res=8, cmax=8)),
                          extra=torch.nn.Linear(2, 2))  # a plain torch module: its class is a global
    with pytest.raises(CheckpointError, match=r"odd\.pkl was refused: it asks for the Python global "
                                              r"(copyreg\._reconstructor|torch\.nn\.modules\.linear\.Linear)"):
        read_nvlabs_pickle(path)


def test_other_persistent_classes_are_not_taken_for_a_generator(tmp_path):
    evil = node("Evil", dict(z_dim=4), children={"mapping": node("MappingNetwork")})
    with nvlabs_globals(), open(tmp_path / "evil.pkl", "wb") as fh:
        pickle.dump(dict(G_ema=evil), fh)
    with pytest.raises(CheckpointError, match=r"evil\.pkl \(G_ema\): its generator is a Evil, not an NVlabs StyleGAN2"):
        import_nvlabs_pickle(tmp_path / "evil.pkl")


def test_a_stylegan2_with_a_fourier_input_is_refused_as_a_stylegan3_not_misrendered(tmp_path):
    G = reference_generator(Cfg(res=8, cmax=8))
    G.synthesis.add_module("input", node("SynthesisInput", dict(w_dim=16, channels=8, size=36)))
    with nvlabs_globals(), open(tmp_path / "sg3.pkl", "wb") as fh:
        pickle.dump(dict(G_ema=G), fh)
    with pytest.raises(CheckpointError, match="StyleGAN3"):
        open_generator(tmp_path / "sg3.pkl", device="cpu")


@pytest.mark.parametrize("change, words", [
    (lambda kw: kw["synthesis_kwargs"].update(architecture="weird"), "architecture is 'weird'"),
    (lambda kw: kw["mapping_kwargs"].update(activation="gelu"), "activation is 'gelu'"),
    (lambda kw: kw["synthesis_kwargs"].update(magic_mode=True), "does not know (magic_mode)"),
    (lambda kw: kw.update(img_resolution=48), "not a power of two"),
    (lambda kw: kw.update(z_dim=float("nan")), "z_dim is nan"),
    (lambda kw: kw["synthesis_kwargs"].update(channel_max=10**6), "channel_max is 1000000"),
    (lambda kw: kw["synthesis_kwargs"].update(channel_max=4), "do not match a StyleGAN2 generator"),
])
def test_settings_that_would_not_give_nvlabs_pixels_are_refused(tmp_path, change, words):
    G = reference_generator(Cfg(res=8, cmax=8))
    change(G._init_kwargs)
    path = write_snapshot(tmp_path / "odd.pkl", G)
    with pytest.raises(CheckpointError, match=r"odd\.pkl \(G_ema\)") as info:
        import_nvlabs_pickle(path)
    assert words in str(info.value)


class _StorageCall:
    """Pickles as NVlabs' files spell a storage: torch.storage._load_from_bytes(legacy torch.save bytes)."""

    def __init__(self, blob):
        self.blob = blob

    def __reduce__(self):
        return (torch.storage._load_from_bytes, (self.blob,))


def _storage_blob(t):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated; it is still what tensors pickle
        return t._typed_storage().__reduce__()[1][0]


def test_storages_claiming_more_than_they_hold_are_refused_before_allocating(tmp_path):
    blob = _storage_blob(torch.arange(6.0))
    count = b"X\x03\x00\x00\x00cpuq\x03K\x06"  # location 'cpu', then the element count 6 (BININT1)
    assert blob.count(count) == 1
    bad = {"huge": blob.replace(count, count[:-2] + b"\x8a\x06" + (2**40).to_bytes(6, "little")),  # 2**40 elements
           "short": blob[:-4], "count": blob.replace(b"\x06" + b"\x00" * 7, b"\x07" + b"\x00" * 7)}
    for name, data in bad.items():
        path = write_snapshot(tmp_path / f"{name}.pkl", reference_generator(Cfg(res=8, cmax=8)), extra=_StorageCall(data))
        with pytest.raises(CheckpointError, match=rf"{name}\.pkl was refused: it holds a storage whose bytes are missing"):
            read_nvlabs_pickle(path)
    good = write_snapshot(tmp_path / "good.pkl", reference_generator(Cfg(res=8, cmax=8)), extra=_StorageCall(blob))
    assert read_nvlabs_pickle(good)["extra"].flat.tolist() == [0, 1, 2, 3, 4, 5]


def test_truncated_files_are_one_sentence(tmp_path):
    raw = write_snapshot(tmp_path / "ok.pkl", reference_generator(Cfg(res=8, cmax=8))).read_bytes()
    for cut in (len(raw) // 3, len(raw) - 5):
        (tmp_path / "cut.pkl").write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match=r"cut\.pkl (was refused|is not a readable)"):
            read_nvlabs_pickle(tmp_path / "cut.pkl")


def test_nan_weights_name_the_tensor(tmp_path):
    G = reference_generator(Cfg(res=8, cmax=8))
    with torch.no_grad():
        G.mapping.fc1.weight[0, 0] = float("nan")
    path = write_snapshot(tmp_path / "nan.pkl", G)
    with pytest.raises(CheckpointError, match=r"NaN or infinite values in G_ema\.mapping\.fc1\.weight"):
        import_nvlabs_pickle(path)


def test_numpy_object_arrays_are_refused(tmp_path):
    path = write_snapshot(tmp_path / "objects.pkl", reference_generator(Cfg(res=8, cmax=8)),
                          extra=np.array([None, "x"], dtype=object))
    with pytest.raises(CheckpointError, match=r"objects\.pkl was refused: it holds numpy values of dtype 'O"):
        read_nvlabs_pickle(path)
    numbers = write_snapshot(tmp_path / "numbers.pkl", reference_generator(Cfg(res=8, cmax=8)),
                             extra=np.arange(6, dtype=np.float32).reshape(2, 3))
    assert read_nvlabs_pickle(numbers)["extra"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert np.dtype("f4").byteorder == "="  # numpy's own dtypes are untouched by what files rebuild


# --- which .pkl files take this road ---------------------------------------------------------------------------

def dcgan_state_dict(nz=16, ngf=8, nc=3):
    """A 32 px pytorch/examples DCGAN netG state dict (main.0, 3, 6 ConvT + BN, main.9 ConvT)."""
    g = torch.Generator().manual_seed(0)
    widths, sd = [nz, ngf * 4, ngf * 2, ngf], {}
    for i in range(3):
        sd[f"main.{3 * i}.weight"] = 0.05 * torch.randn(widths[i], widths[i + 1], 4, 4, generator=g)
        c = widths[i + 1]
        sd.update({f"main.{3 * i + 1}.weight": torch.ones(c), f"main.{3 * i + 1}.bias": torch.zeros(c),
                   f"main.{3 * i + 1}.running_mean": torch.zeros(c), f"main.{3 * i + 1}.running_var": torch.ones(c),
                   f"main.{3 * i + 1}.num_batches_tracked": torch.tensor(0)})
    sd["main.9.weight"] = 0.05 * torch.randn(ngf, nc, 4, 4, generator=g)
    return sd


def test_torch_saved_state_dicts_named_pkl_still_go_to_the_weights_only_reader(tmp_path):
    sd = dcgan_state_dict(nc=1)
    for zipped in (True, False):
        path = tmp_path / f"netG-{zipped}.pkl"
        torch.save(sd, path, _use_new_zipfile_serialization=zipped)
        assert not is_nvlabs_pickle_file(path)
        gen = open_generator(path, device="cpu")
        assert gen.source == "pytorch-examples-dcgan" and not gen.truncates_in_w
        with pytest.raises(GanStudioError, match="truncates its latents z"):
            gen.generate(np.zeros((1, 16), np.float32), truncation_psi=0.5)


def test_a_plain_pickle_that_is_no_snapshot_is_one_sentence(tmp_path):
    path = tmp_path / "numbers.pkl"
    path.write_bytes(pickle.dumps({"a": [1, 2, 3]}))
    with pytest.raises(CheckpointError, match=r"numbers\.pkl is a pickle but not an NVlabs StyleGAN network snapshot"):
        open_generator(path, device="cpu")
    (tmp_path / "junk.pkl").write_bytes(b"\x80\x04junk")
    with pytest.raises(CheckpointError, match=r"junk\.pkl is not a readable StyleGAN pickle"):
        open_generator(tmp_path / "junk.pkl", device="cpu")


# --- ganstudio sample --truncation ------------------------------------------------------------------------------

def test_sample_truncation_psi_applies_in_w_for_stylegan(snapshot, tmp_path):
    from PIL import Image

    from ganstudio.cli import main as cli_main

    path, cfg, sd = snapshot["conditional-fp16-clamp"]
    out = tmp_path / "grid"
    assert cli_main(["sample", str(path), "--n", "3", "--seed", "4", "--class", "2", "--truncation", "0.6",
                     "--out", str(out), "--device", "cpu"]) == 0
    z = torch.randn(3, cfg.z, generator=torch.Generator().manual_seed(4))
    ref = reference_forward(sd, cfg, z, F.one_hot(torch.full((3,), 2), cfg.c).float(), psi=0.6)
    for i in range(3):
        pic = np.asarray(Image.open(out / f"sample_{i:05d}.png").convert("RGB")).astype(int)
        assert np.abs(pic - nvlabs_pixels(ref)[i].astype(int)).max() <= 2
    assert cli_main(["sample", str(path), "--n", "1", "--out", str(tmp_path / "x.png"), "--truncation", "3"]) == 2


def test_sample_truncation_scales_z_for_other_models(tmp_path):
    from ganstudio.cli import main as cli_main
    from ganstudio.core.latent.space import Truncation, sample_latents

    torch.save(dcgan_state_dict(), tmp_path / "netG.pth")
    gen = open_generator(tmp_path / "netG.pth", device="cpu")
    assert cli_main(["sample", str(tmp_path / "netG.pth"), "--n", "2", "--seed", "9", "--truncation", "0.5",
                     "--out", str(tmp_path / "dc"), "--device", "cpu"]) == 0
    from PIL import Image

    expected = gen.render_latents(sample_latents(2, 16, 9, Truncation("scale", 0.5)))
    for i in range(2):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "dc" / f"sample_{i:05d}.png").convert("RGB")), expected[i])
    np.save(tmp_path / "z.npy", np.zeros((1, 16), np.float32))
    assert cli_main(["sample", str(tmp_path / "netG.pth"), "--latent", str(tmp_path / "z.npy"), "--truncation", "0.5",
                     "--out", str(tmp_path / "y.png")]) == 2
