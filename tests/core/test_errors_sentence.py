"""as_sentence: the one form of every message the app shows."""

from ganstudio.core.errors import as_sentence


def test_a_sentence_is_capitalised_and_ends_with_a_full_stop_but_a_file_name_keeps_its_case():
    assert as_sentence("the folder is empty") == "The folder is empty."
    assert as_sentence("Done!") == "Done!"
    assert as_sentence("latest.safetensors is a 2-D toy model") == "latest.safetensors is a 2-D toy model."
    assert as_sentence("runs/ring is not a run folder.") == "runs/ring is not a run folder."
