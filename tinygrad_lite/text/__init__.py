"""``tinygrad_lite.text``: tokenizers, stop words and text generation (see API.md)."""
from tinygrad_lite.text.bpe import BPETokenizer
from tinygrad_lite.text.char_tokenizer import CharTokenizer
from tinygrad_lite.text.generation import generate
from tinygrad_lite.text.stop_words import STOP_WORDS, remove_stop_words
from tinygrad_lite.text.word_tokenizer import WordTokenizer

__all__ = ["BPETokenizer", "CharTokenizer", "STOP_WORDS", "WordTokenizer", "generate", "remove_stop_words"]
