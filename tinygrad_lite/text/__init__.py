"""``tinygrad_lite.text``: tokenizers, stop words and text generation (see API.md)."""

__all__ = []
