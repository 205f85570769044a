"""The Train form's field widgets (qt.train.fields): one per FieldSpec kind."""

import pytest

from ganstudio.core.train.form import SPECS, FieldSpec
from ganstudio.qt.train.fields import (
    BoolField,
    ChoiceField,
    FloatField,
    IntField,
    LogField,
    OptionalFloatField,
    make_field,
)


@pytest.mark.parametrize("key, cls, value", [
    ("optim.optimizer", ChoiceField, "rmsprop"),
    ("tricks.spectral_norm", BoolField, True),
    ("optim.n_critic", IntField, 5),
    ("tricks.ema", FloatField, 0.999),
    ("objective.gp_weight", OptionalFloatField, 10.0),
    ("optim.lr_g", LogField, 3e-4),
])
def test_each_kind_round_trips_silently_and_announces_user_edits(qtbot, key, cls, value):
    spec = SPECS[key]
    w = make_field(spec)
    qtbot.addWidget(w)
    assert isinstance(w, cls)
    assert w.objectName() == key.replace(".", "_") + "Field" and w.toolTip() == spec.tip
    seen = []
    w.fieldChanged.connect(seen.append)
    w.set_field_value(value)
    assert w.field_value() == pytest.approx(value) and seen == []  # the form set it: no echo
    if cls is BoolField:
        w.setChecked(False)
        assert seen == [False]
    elif cls is ChoiceField:
        w.setCurrentIndex(0)
        assert seen == [w.itemData(0)]
    else:
        w.setValue(w.minimum() + 1)
        assert seen == [pytest.approx(w.field_value())]


def test_optional_float_shows_auto_for_none(qtbot):
    w = make_field(SPECS["objective.gp_weight"])
    qtbot.addWidget(w)
    w.set_field_value(None)
    assert w.field_value() is None and w.text() == "auto"


def test_a_choice_it_lacks_is_added_and_numbers_clamp(qtbot):
    w = make_field(SPECS["data.image_size"])
    qtbot.addWidget(w)
    w.set_field_value(48)
    assert w.field_value() == 48 and w.currentText() == "48"
    n = make_field(FieldSpec("optim.n_critic", "D steps", "int", "tip", minimum=1, maximum=100))
    qtbot.addWidget(n)
    n.set_field_value(1000)
    assert n.field_value() == 100


def test_the_learning_rate_box_steps_in_octaves(qtbot):
    w = make_field(SPECS["optim.lr_g"])
    qtbot.addWidget(w)
    w.set_field_value(1e-4)
    w.stepBy(1)
    assert w.field_value() == pytest.approx(2e-4) and w.text() == "0.0002"
