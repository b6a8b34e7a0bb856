"""tinygrad_lite/text/stop_words.py: the English stop-word list and its case-insensitive removal."""
import pytest

from tinygrad_lite import text


def test_stop_words_are_a_lower_case_frozenset_of_function_words():
    assert isinstance(text.STOP_WORDS, frozenset)
    assert all(word == word.lower() and word.isalpha() for word in text.STOP_WORDS)
    assert {"the", "is", "and", "a", "of", "to", "in", "it", "not", "t", "s"} <= text.STOP_WORDS
    assert not {"cat", "model", "python", "error", "file"} & text.STOP_WORDS
    assert 120 <= len(text.STOP_WORDS) <= 250


def test_remove_stop_words_is_case_insensitive_and_keeps_order_and_case():
    tokens = ["The", "Cat", "IS", "on", "the", "MAT", "!"]
    assert text.remove_stop_words(tokens) == ["Cat", "MAT", "!"]


def test_remove_stop_words_takes_a_custom_list_in_any_case():
    assert text.remove_stop_words(["Spam", "eggs", "SPAM", "ham"], stop_words={"spAm"}) == ["eggs", "ham"]
    assert text.remove_stop_words(["the", "cat"], stop_words=[]) == ["the", "cat"]


def test_remove_stop_words_refuses_a_string_in_place_of_tokens():
    with pytest.raises(TypeError, match="not one str: split it first"):
        text.remove_stop_words("the cat")
    with pytest.raises(TypeError, match="tokens must be str, got int"):
        text.remove_stop_words(["the", 3])
    with pytest.raises(TypeError, match="stop_words must be a collection of str"):
        text.remove_stop_words(["the"], stop_words="the")
