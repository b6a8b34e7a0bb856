"""tinygrad_lite/text/char_tokenizer.py: one id per character seen, unknown ones to unk_id."""
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tinygrad_lite import text  # noqa: E402


def test_training_alphabet_follows_the_special_tokens_in_code_point_order():
    tokenizer = text.CharTokenizer.train(["bca", "ab\n"])
    assert tokenizer.vocab_size == 5 + 4
    assert tokenizer.encode("\nabc") == [5, 6, 7, 8]
    assert [tokenizer.id_to_token(token_id) for token_id in range(9)] == [
        "<pad>", "<unk>", "<bos>", "<eos>", "<mask>", "\n", "a", "b", "c"]
    assert tokenizer.token_to_id("c") == 8 and tokenizer.token_to_id("<eos>") == 3


def test_unseen_characters_encode_to_unk():
    tokenizer = text.CharTokenizer.train("hello")
    assert tokenizer.encode("hex!") == [tokenizer.token_to_id("h"), tokenizer.token_to_id("e"), 1, 1]
    assert tokenizer.decode(tokenizer.encode("hex")) == "he<unk>"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=4), st.data())
def test_any_text_in_the_training_alphabet_round_trips(training_texts, data):
    tokenizer = text.CharTokenizer.train(training_texts)
    alphabet = sorted(set("".join(training_texts)))
    sample = data.draw(st.text(alphabet=alphabet))
    ids = tokenizer.encode(sample)
    assert tokenizer.unk_id not in ids and len(ids) == len(sample)
    assert tokenizer.decode(ids) == sample


def test_the_alphabet_must_be_single_characters():
    with pytest.raises(ValueError, match="single characters, got 'ab'"):
        text.CharTokenizer(["a", "ab"])
