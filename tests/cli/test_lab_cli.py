"""`ganstudio lab NAME`: the numbers as JSON with the keys the screen shows, the figure as PNG, bad values as
one sentence with exit status 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli import main


def test_distances_writes_the_closed_forms_the_estimates_and_a_figure(tmp_path, capsys):
    out, png = tmp_path / "d.json", tmp_path / "sub" / "d.png"
    assert main(["lab", "distances", "--theta", "0.5", "--steps", "150", "--json", str(out), "--png", str(png)]) == 0
    data = json.loads(out.read_text())
    at = data["at_theta"]
    assert at["theta"] == 0.5 and at["kl_rg"] == "inf" and at["kl_gr"] == "inf"
    assert at["js"] == pytest.approx(math.log(2)) and at["tv"] == 1.0 and at["w1"] == 0.5
    assert {"js_est", "w1_est"} <= set(at)
    assert len(data["sweep"]["theta"]) == len(data["sweep"]["js"]) > 100
    picture = np.asarray(Image.open(png))
    assert picture.ndim == 3 and picture.shape[1] > 600 and (picture < 250).any()
    assert "js = 0.693147" in capsys.readouterr().out


@pytest.mark.parametrize("argv,key", [
    (["xy", "--eta", "0.2", "--steps", "10"], "simultaneous_final_radius"),
    (["cournot", "--rule", "best-response"], "q1_star"),
    (["optimal-d", "--no-train"], "v_d_star"),
    (["costs", "--no-train"], "curves"),
    (["supports", "--z-dim", "2", "--x-dim", "3", "--n", "3000"], "jacobian_rank"),
])
def test_each_experiment_writes_its_numbers(tmp_path, argv, key):
    out = tmp_path / "r.json"
    assert main(["lab", *argv, "--json", str(out), "--png", str(tmp_path / "r.png")]) == 0
    data = json.loads(out.read_text())
    assert key in data and (tmp_path / "r.png").stat().st_size > 1000
    if argv[0] == "xy":
        assert data[key] == pytest.approx(math.sqrt(1.04) ** 10)


@pytest.mark.parametrize("argv,fragment", [
    (["distances", "--theta", "9"], "theta must be from -2 to 2"),
    (["distances", "--width", "-1"], "the width must be"),
    (["optimal-d", "--data", "1:2"], "--data must look like"),
    (["cournot", "--A", "3", "--c2", "5"], "produces nothing"),
    (["cournot", "--rule", "random"], "the step rule must be one of"),
    (["xy", "--eta", "0"], "eta must be more than 0"),
    (["xy", "--json", "."], "it is a folder"),
    (["supports", "--z-dim", "2", "--x-dim", "2"], "z smaller than x"),
    (["collapse", "--unrolled", "0"], "the unrolled steps must be a whole number from 1 to 20"),
])
def test_bad_values_are_one_sentence_and_exit_2(argv, fragment, capsys):
    assert main(["lab", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("ganstudio: error") == 1 and fragment in err, err
