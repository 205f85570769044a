"""Truncation settings: their bounds, their file form and their one-line description, word for word."""

import pytest

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.space import Truncation


def test_truncation_bounds_are_inclusive_where_documented():
    for mode, value in (("resample", 0.05), ("resample", 10), ("scale", 2), ("scale", 1e-6), ("off", 123)):
        Truncation(mode, value)
    for mode, value, message in (
        ("resample", 0.04, "the resampling threshold must be between 0.05 and 10, not 0.04."),
        ("resample", 10.5, "the resampling threshold must be between 0.05 and 10, not 10.5."),
        ("scale", 0, "the truncation scale psi must be above 0 and at most 2, not 0."),
        ("scale", 2.5, "the truncation scale psi must be above 0 and at most 2, not 2.5."),
    ):
        with pytest.raises(GanStudioError) as info:
            Truncation(mode, value)
        assert str(info.value) == message
    with pytest.raises(GanStudioError, match=r"^truncation mode must be one of off, resample, scale, not 'clip'\.$"):
        Truncation("clip", 1.0)


def test_truncation_round_trips_through_its_dict_and_describes_itself():
    t = Truncation("scale", 0.7)
    assert t.to_dict() == {"mode": "scale", "value": 0.7} and type(Truncation("scale", 1).to_dict()["value"]) is float
    assert Truncation.from_dict(t.to_dict()) == t
    assert Truncation.from_dict(None) == Truncation() == Truncation.from_dict({})
    assert Truncation.from_dict({"mode": "resample"}) == Truncation("resample", 1.0)
    assert Truncation.from_dict({"value": "0.5"}) == Truncation("off", 0.5)
    assert Truncation("resample", 2).describe() == "resample |z|>2"
    assert Truncation("scale", 0.7).describe() == "scale ψ=0.7"
    assert Truncation().describe() == "off"
