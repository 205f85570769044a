"""A converted StyleGAN (`ganstudio import` of a rosinality checkpoint) opens with the importer's program and the
original file's name. Apart from test_importers_messages.py because the first StyleGAN build of a process costs
about 5 s of torch start-up (its lazy imports), which the importers' mutation run would pay for every mutant."""

import json

import torch
from test_importers_messages import _rewrite

from ganstudio.core.models import importers as im


def test_a_converted_rosinality_stylegan_keeps_its_program_and_original_name(tmp_path):
    from nvlabs_reference import Cfg, reference_generator
    from rosinality_reference import write_converted

    cfg = Cfg(z=8, w=8, res=8, layers=2, base=64, cmax=8)
    source = write_converted(tmp_path / "r.pt", reference_generator(cfg, seed=1).state_dict(), cfg)
    first = im.import_foreign_generator(source)
    out = im.export_imported(first, tmp_path / "r.safetensors")
    back = im.import_foreign_generator(out)
    assert back.family == first.family == "stylegan2"
    assert back.program == first.program and "rosinality" in back.program
    assert back.converted_from == "r.pt"
    assert all(torch.equal(a, b) for a, b in zip(back.model.state_dict().values(), first.model.state_dict().values()))
    # A description without a program keeps the importer's own.
    from safetensors import safe_open

    with safe_open(str(out), framework="pt") as fh:
        meta = json.loads(fh.metadata()[im.IMPORT_META_KEY])
    meta["program"] = None
    _rewrite(out, meta)
    assert im.import_foreign_generator(out).program == im.import_foreign_generator(out).program != ""
