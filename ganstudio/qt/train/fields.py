"""The Train form's field widgets: one small class per FieldSpec kind (core.train.form), each a plain Qt
control with `field_value()`, `set_field_value(value)` (silent: no signals) and `fieldChanged(value)`.
`make_field(spec)` builds the one for a spec, named `<section>_<field>Field` with the spec's tooltip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from ganstudio.core.train.form import FieldSpec


def field_object_name(key: str) -> str:
    """"optim.lr_g" -> "optim_lr_gField" (docs/ui-objects.md)."""
    return key.replace(".", "_") + "Field"


class _Silent:
    """`set_field_value` shows a value without announcing it (the form already holds it)."""

    def set_field_value(self, value: Any) -> None:
        self.blockSignals(True)
        try:
            self._show(value)
        finally:
            self.blockSignals(False)


class ChoiceField(_Silent, QComboBox):
    """A menu of values (item data); a value it lacks is added, so a checkpoint's setting still shows."""

    fieldChanged = Signal(object)

    def __init__(self, choices=(), labels=None, tips=None, parent=None):
        super().__init__(parent)
        for i, choice in enumerate(choices):
            self.addItem(str(choice) if labels is None else labels[i], choice)
            if tips is not None:
                self.setItemData(i, tips[i], Qt.ToolTipRole)
        self.currentIndexChanged.connect(lambda _i: self.fieldChanged.emit(self.field_value()))

    def field_value(self) -> Any:
        return self.currentData()

    def _show(self, value: Any) -> None:
        idx = self.findData(value)
        if idx < 0 and value is not None:
            self.addItem(str(value), value)
            idx = self.count() - 1
        self.setCurrentIndex(max(idx, 0))


class BoolField(_Silent, QCheckBox):
    fieldChanged = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.toggled.connect(lambda on: self.fieldChanged.emit(bool(on)))

    def field_value(self) -> bool:
        return self.isChecked()

    def _show(self, value: Any) -> None:
        self.setChecked(bool(value))


class IntField(_Silent, QSpinBox):
    fieldChanged = Signal(object)

    def __init__(self, spec: FieldSpec, parent=None):
        super().__init__(parent)
        self.setRange(int(spec.minimum), int(min(spec.maximum, 2**31 - 1)))
        self.setSingleStep(int(spec.step))
        self.setKeyboardTracking(False)
        self.valueChanged.connect(lambda v: self.fieldChanged.emit(int(v)))

    def field_value(self) -> int:
        return self.value()

    def _show(self, value: Any) -> None:
        self.setValue(int(value))


class FloatField(_Silent, QDoubleSpinBox):
    fieldChanged = Signal(object)

    def __init__(self, spec: FieldSpec, parent=None):
        super().__init__(parent)
        self.setDecimals(spec.decimals)
        self.setRange(spec.minimum, spec.maximum)
        self.setSingleStep(spec.step)
        self.setKeyboardTracking(False)
        self.valueChanged.connect(lambda _v: self.fieldChanged.emit(self.field_value()))

    def field_value(self) -> float | None:
        return self.value()

    def _show(self, value: Any) -> None:
        self.setValue(float(value))


class OptionalFloatField(FloatField):
    """A float or None ('auto'): the minimum stands for None."""

    def __init__(self, spec: FieldSpec, parent=None):
        super().__init__(spec, parent)
        self.setSpecialValueText("auto")

    def field_value(self) -> float | None:
        return None if self.value() <= self.minimum() else self.value()

    def _show(self, value: Any) -> None:
        self.setValue(self.minimum() if value is None else float(value))


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades (learning rates): shows 1e-04 style, arrows double/halve."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            ok = text.strip() in ("", "-", ".") or text.lower().endswith(("e", "e-", "e+"))
            return (QValidator.Intermediate if ok else QValidator.Invalid), text, pos
        state = QValidator.Acceptable if self.minimum() <= value <= self.maximum() else QValidator.Intermediate
        return state, text, pos

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * (2.0 ** steps))


class LogField(_Silent, ScientificSpinBox):
    fieldChanged = Signal(object)

    def __init__(self, spec: FieldSpec, parent=None):
        super().__init__(parent)
        self.setRange(spec.minimum, spec.maximum)
        self.valueChanged.connect(lambda v: self.fieldChanged.emit(float(v)))

    def field_value(self) -> float:
        return self.value()

    def _show(self, value: Any) -> None:
        self.setValue(float(value))


FIELD_KINDS = {"int": IntField, "float": FloatField, "optional_float": OptionalFloatField, "log": LogField}


def make_field(spec: FieldSpec) -> QWidget:
    """The widget of one config field, named and with its tooltip."""
    if spec.kind == "choice":
        w = ChoiceField(spec.choices)
    elif spec.kind == "bool":
        w = BoolField()
    else:
        w = FIELD_KINDS[spec.kind](spec)
    w.setObjectName(field_object_name(spec.key))
    w.setToolTip(spec.tip)
    return w
