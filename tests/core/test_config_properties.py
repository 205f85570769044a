"""A property of `--set`: whatever key=value strings a user types, RunConfig.with_overrides + validate either
give a config or raise a GanStudioError of one line; never another exception (which the CLI would show as an
internal error)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganstudio.core.config import FIELD_RULES, PRESETS, preset, validate
from ganstudio.core.errors import GanStudioError

KEYS = sorted(FIELD_RULES) + ["name"]
SPECIAL = ["nan", "-nan", "inf", "-inf", "infinity", "1e400", "-1e400", "1e-400", "1e3", "1.5", "-0", "0", "1",
           "", " ", "none", "None", "null", "true", "False", "yes", "0x10", "1_000", "9" * 30, "9" * 5000, "[1, 2]",
           "ring", "adam", "mlp", "unet_small", "wgan-gp", "AtoB", "cuda", "1e-9", "2147483648", "-2147483649"]

values = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=40),
)
assignment = st.builds(lambda key, value: f"{key}={value}", st.sampled_from(KEYS), values)
raw = st.text(max_size=30)  # no '=' or no section at all


@settings(max_examples=200, deadline=2000, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(list(PRESETS)), sets=st.lists(st.one_of(assignment, raw), min_size=1, max_size=4))
def test_any_set_strings_give_a_config_or_one_sentence(base, sets):
    try:
        cfg = preset(base).with_overrides(sets)
        validate(cfg)
    except GanStudioError as exc:
        assert "\n" not in str(exc) and str(exc).strip()
