from boxoffice.documents.redaction import ERASED_VALUE, redact


def test_a_name_is_redacted_where_it_stands_as_a_word_not_inside_other_words():
    text = "Ann's prize for ANN; annual comp; call +44 117 496 0123."

    redacted = redact(text, ["Ann", "+44 117 496 0123"])

    assert redacted == f"{ERASED_VALUE}'s prize for {ERASED_VALUE}; annual comp; call {ERASED_VALUE}."
