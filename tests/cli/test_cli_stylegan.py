"""`ganstudio import` and `ganstudio info` on NVlabs StyleGAN2 and StyleGAN3 pickles (written by the tests' own
writer in NVlabs' format) and on the converted files: the conversion renders identical pixels, info says what
the model is."""

import json

import numpy as np
import pytest
from nvlabs_reference import Cfg, Cfg3, reference_generator, reference_generator3, write_snapshot
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ganstudio.cli import main as cli_main
from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.generators.style_edit import StyleEdit

MODELS = {"stylegan2": lambda: reference_generator(Cfg(c=3, res=32)),
          "stylegan3": lambda: reference_generator3(Cfg3(kernel=1, radial=True, output_scale=2.0))}


@pytest.mark.parametrize("family", list(MODELS))
def test_import_converts_a_pickle_to_the_same_pixels_and_info_describes_both(tmp_path, capsys, family):
    pkl = write_snapshot(tmp_path / f"network-snapshot-{family}.pkl", MODELS[family]())
    out = tmp_path / "model.safetensors"
    assert cli_main(["import", str(pkl), "--out", str(out)]) == 0
    a, b = open_generator(pkl, device="cpu"), open_generator(out, device="cpu")
    z = np.random.default_rng(0).standard_normal((3, a.z_dim)).astype(np.float32)
    labels = [0, 1, 2] if a.n_classes else None
    edit = StyleEdit(mix_z=z[0], mix_label=0 if a.n_classes else None, mix_layers=(2, 4),
                     w_offset=np.ones(a.info["w_dim"], np.float32), offset_layers=(0, 2))
    for style in (None, edit):
        assert np.array_equal(a.render_latents(z, labels, 0.7, style), b.render_latents(z, labels, 0.7, style))
    assert b.is_stylegan and f"converted from {pkl.name}" in b.description
    capsys.readouterr()
    for path in (pkl, out):
        assert cli_main(["info", str(path)]) == 0
        text = capsys.readouterr().out
        name = "StyleGAN3 (config R)" if family == "stylegan3" else "StyleGAN2 (skip)"
        assert f"family       NVlabs {name}, G_ema weights" in text
        assert f"pictures     {a.image_size} px" in text and f"w {a.info['w_dim']}, {a.info['num_ws']} styles" in text
        assert ("3 classes" in text) == bool(a.n_classes)


def test_a_converted_stylegan_whose_tensors_do_not_fit_its_description_is_damaged(tmp_path):
    pkl = write_snapshot(tmp_path / "network-snapshot.pkl", MODELS["stylegan3"]())
    out = tmp_path / "model.safetensors"
    assert cli_main(["import", str(pkl), "--out", str(out)]) == 0
    with safe_open(str(out), "pt") as fh:
        meta = fh.metadata()
    state = load_file(str(out))
    description = json.loads(meta["ganstudio_import"])
    description["architecture"]["init_kwargs"]["channel_max"] = 6  # narrower than the tensors
    bad = tmp_path / "bad.safetensors"
    save_file(state, str(bad), metadata={"ganstudio_import": json.dumps(description)})
    with pytest.raises(CheckpointError, match="do not match a StyleGAN3 generator"):
        open_generator(bad, device="cpu")
    description["architecture"]["init_kwargs"]["channel_max"] = 12
    description["architecture"]["init_kwargs"]["magic"] = 1
    save_file(state, str(bad), metadata={"ganstudio_import": json.dumps(description)})
    assert cli_main(["info", str(bad)]) == 2
