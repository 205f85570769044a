"""User-facing errors. Each carries one clear sentence naming the file or value at fault.

Anything that is not a GanStudioError is a bug and may show a traceback; a GanStudioError is shown to
the user as its message alone (CLI: one line on stderr and a non-zero exit; GUI: a message box).
"""


def as_sentence(text: str) -> str:
    """Capitalised and ending in a full stop, as every message the app shows reads. A sentence that
    starts with a file name or a path keeps it as it is ("latest.safetensors is a 2-D toy model")."""
    text = text.strip()
    first = text.split(maxsplit=1)[0] if text else ""
    names_a_file = "/" in first or "\\" in first or "." in first.rstrip(".,;:")
    if text and text[0].islower() and not names_a_file:
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


class GanStudioError(Exception):
    """Base class of every error caused by the user's input rather than by a bug."""


class ConfigError(GanStudioError):
    """An unknown preset, an unknown key or an invalid value in a configuration."""


class DataError(GanStudioError):
    """A data set that cannot be used: missing or empty folder, no readable image, unpaired files."""


class ModelError(GanStudioError):
    """A model name or shape that does not fit (unknown architecture, wrong image size, ...)."""


class CheckpointError(GanStudioError):
    """A checkpoint or weight file that is missing, truncated, corrupted, unsafe or mismatched."""


class TrainingError(GanStudioError):
    """Training cannot go on: a non-finite loss, out of memory, ..."""
