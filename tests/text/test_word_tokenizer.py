"""tinygrad_lite/text/word_tokenizer.py: words and punctuation, lower case, min_freq, stop words
(seed 000 #17)."""
import pytest

from tinygrad_lite import text


def test_splits_words_from_punctuation_and_lower_cases():
    tokenizer = text.WordTokenizer([])
    assert tokenizer.tokenize("Don't panic!  The answer: 42.") == [
        "don", "'", "t", "panic", "!", "the", "answer", ":", "42", "."]
    assert text.WordTokenizer([], lowercase=False).tokenize("Hello, World") == ["Hello", ",", "World"]


def test_vocabulary_is_ordered_by_frequency_then_alphabetically():
    tokenizer = text.WordTokenizer.train(["b a b c", "c b !"])
    assert list(tokenizer.vocab)[5:] == ["b", "c", "!", "a"]
    assert tokenizer.encode("a b c !") == [8, 5, 6, 7]


def test_min_freq_and_unseen_words_map_to_unk():
    tokenizer = text.WordTokenizer.train(["the cat and the dog", "the cat"], min_freq=2)
    assert list(tokenizer.vocab)[5:] == ["the", "cat"]
    assert tokenizer.encode("The dog ate the cat") == [5, 1, 1, 5, 6]
    assert tokenizer.decode(tokenizer.encode("The dog ate the cat")) == "the <unk> <unk> the cat"


def test_max_vocab_size_counts_the_special_tokens():
    tokenizer = text.WordTokenizer.train(["a a a b b c"], max_vocab_size=7)
    assert tokenizer.vocab_size == 7 and list(tokenizer.vocab)[5:] == ["a", "b"]
    with pytest.raises(ValueError, match="room for the 5 special tokens"):
        text.WordTokenizer.train(["a"], max_vocab_size=3)


def test_stop_words_are_dropped_case_insensitively_in_training_and_encoding():
    tokenizer = text.WordTokenizer.train(["The cat IS on the mat."], lowercase=False,
                                         stop_words=text.STOP_WORDS)
    assert list(tokenizer.vocab)[5:] == [".", "cat", "mat"]
    assert tokenizer.tokenize("THE Cat and THE mat") == ["Cat", "mat"]
    assert tokenizer.encode("The cat is on the mat.") == [6, 7, 5]


def test_custom_stop_words_survive_save_and_load(tmp_path):
    tokenizer = text.WordTokenizer.train(["spam eggs spam ham"], stop_words={"SPAM"})
    tokenizer.save(tmp_path / "words.json")
    loaded = text.WordTokenizer.load(tmp_path / "words.json")
    assert loaded.stop_words == frozenset({"spam"}) and loaded.lowercase is True
    assert loaded.encode("Spam and eggs") == tokenizer.encode("Spam and eggs") == [1, 5]


def test_min_freq_below_one_is_refused():
    with pytest.raises(ValueError, match="min_freq must be >= 1"):
        text.WordTokenizer.train(["a"], min_freq=0)
