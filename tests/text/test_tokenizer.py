"""What every tokenizer shares (tinygrad_lite/text/tokenizer.py): special ids, argument checks,
JSON save/load."""
import json
import os

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import text

TEXTS = ["The cat sat on the mat.", "A dog! The dog ran; the cat did not."]
TRAINERS = {
    "char": lambda: text.CharTokenizer.train(TEXTS),
    "word": lambda: text.WordTokenizer.train(TEXTS, stop_words=["a"]),
    "bpe": lambda: text.BPETokenizer.train(TEXTS, vocab_size=270, min_frequency=1),
}


@pytest.fixture(params=sorted(TRAINERS))
def tokenizer(request):
    return TRAINERS[request.param]()


def test_special_tokens_take_ids_0_to_4_in_every_tokenizer(tokenizer):
    ids = (tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.mask_id)
    assert ids == (0, 1, 2, 3, 4)
    assert tokenizer.decode(list(ids)).replace(" ", "") == "<pad><unk><bos><eos><mask>"
    assert len(tokenizer) == tokenizer.vocab_size > 5


def test_encode_adds_bos_and_eos_only_when_asked(tokenizer):
    plain = tokenizer.encode("the cat")
    assert all(isinstance(token_id, int) for token_id in plain)
    assert tokenizer.bos_id not in plain and tokenizer.eos_id not in plain
    assert tokenizer.encode("the cat", add_special_tokens=True) == [2, *plain, 3]
    assert tokenizer.decode([2, *plain, 3, 0], skip_special_tokens=True) == tokenizer.decode(plain)


def test_decode_takes_numpy_arrays_and_tensors(tokenizer):
    ids = tokenizer.encode("the dog")
    expected = tokenizer.decode(ids)
    assert tokenizer.decode(numpy.array(ids)) == expected
    assert tokenizer.decode(tl.tensor(ids)) == expected


@pytest.mark.parametrize("bad_id", [-1, 10_000])
def test_out_of_range_ids_name_the_id_and_the_vocab_size(tokenizer, bad_id):
    with pytest.raises(IndexError, match=f"token id {bad_id} .* vocab_size {tokenizer.vocab_size}"):
        tokenizer.decode([5, bad_id])


def test_bad_inputs_raise_clear_type_errors(tokenizer):
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tokenizer.encode(b"the cat")
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        tokenizer.encode(None)
    with pytest.raises(TypeError, match="ids must be ints"):
        tokenizer.decode([5, 2.5])
    with pytest.raises(TypeError, match="ids must be ints"):
        tokenizer.decode([[5, 6]])
    with pytest.raises(TypeError, match="ids must be a sequence of ints, got str"):
        tokenizer.decode("5 6")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        type(tokenizer).train(["fine", 3])


def test_one_string_trains_like_a_list_of_one(tokenizer):
    assert type(tokenizer).train(TEXTS[0]) == type(tokenizer).train([TEXTS[0]])


def test_save_then_load_gives_an_equal_tokenizer(tokenizer, tmp_path):
    path = tmp_path / "tokenizer.json"
    tokenizer.save(path)
    loaded = type(tokenizer).load(path)
    assert loaded == tokenizer and loaded is not tokenizer
    assert loaded.vocab_size == tokenizer.vocab_size
    sample = "The mat ran, the cat sat!"
    assert loaded.encode(sample) == tokenizer.encode(sample)
    assert loaded.decode(range(loaded.vocab_size)) == tokenizer.decode(range(tokenizer.vocab_size))
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle)["type"] == type(tokenizer).__name__
    assert os.listdir(tmp_path) == ["tokenizer.json"]  # no temporary file left behind


def test_a_failed_save_keeps_the_old_file(tokenizer, tmp_path, monkeypatch):
    path = tmp_path / "tokenizer.json"
    tokenizer.save(path)
    before = path.read_bytes()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dumps", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        type(tokenizer).train("something else").save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["tokenizer.json"]


def test_load_refuses_another_kind_of_tokenizer_or_file(tmp_path):
    path = tmp_path / "char.json"
    text.CharTokenizer.train(TEXTS).save(path)
    with pytest.raises(ValueError, match="holds a CharTokenizer, not a BPETokenizer"):
        text.BPETokenizer.load(path)
    other = tmp_path / "other.json"
    other.write_text('{"weights": [1, 2]}')
    with pytest.raises(ValueError, match="not a tinygrad_lite tokenizer file"):
        text.WordTokenizer.load(other)


def test_tokenizers_of_different_vocabularies_are_not_equal():
    assert text.CharTokenizer.train("abc") != text.CharTokenizer.train("abd")
    assert text.CharTokenizer.train("abc") != text.WordTokenizer.train("abc")
