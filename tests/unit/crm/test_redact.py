from boxoffice.crm.erasure import REMOVED, redact


def test_a_name_is_redacted_where_it_stands_as_a_word_not_inside_other_words():
    text = "Ann's prize for ANN; annual comp; call +44 117 496 0123."

    redacted = redact(text, ["Ann", "+44 117 496 0123"])

    assert redacted == f"{REMOVED}'s prize for {REMOVED}; annual comp; call {REMOVED}."
