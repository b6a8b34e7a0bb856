"""Tests for models/data/entities.py: disjoint names and templates, BIO tags, determinism, CoNLL files."""
import numpy
import pytest

from models.data.entities import (ENTITY_TYPES, entity_names, fill_template, make_ner_task, random_entity,
                                  read_conll, sentence_names, split_sentences, templates)
from tinygrad_lite.metrics import get_entities

# Words of the language both splits may share inside entities.
SHARED_WORDS = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December", "New", "Systems", "Corporation", "Labs", "Group",
                "Holdings", "Bank", "Institute", "Foundation", "Motors", "Energy", "Pharmaceuticals",
                "Analytics", "Airlines", "University", "Press", "Industries"}


@pytest.mark.parametrize("kind", ENTITY_TYPES)
def test_train_and_test_names_are_disjoint_down_to_their_tokens(kind):
    train, test = entity_names(kind, "train"), entity_names(kind, "test")
    assert len(train) >= 50 and len(test) >= 50 and not set(train) & set(test)
    shared = {token for name in train for token in name.split()} & {token for name in test for token in name.split()}
    assert {token for token in shared if not token.isdigit()} <= SHARED_WORDS
    assert all(int(token) <= 28 for token in shared if token.isdigit())  # day numbers, never a year


def test_templates_are_many_and_disjoint_but_share_their_words():
    frames = {split: set(templates(split)) for split in ("train", "valid", "test")}
    assert len(frames["train"]) > 50000 and len(frames["valid"]) > 5000 and len(frames["test"]) > 10000
    assert not frames["train"] & frames["test"] and not frames["train"] & frames["valid"]
    assert not frames["valid"] & frames["test"]
    vocabulary = {split: {word.lower() for frame in frames[split] for word in frame.split()} for split in frames}
    assert vocabulary["test"] <= vocabulary["train"] and vocabulary["valid"] <= vocabulary["train"]
    with pytest.raises(ValueError, match="split"):
        templates("dev")


@pytest.mark.parametrize("kind", ENTITY_TYPES)
def test_sentence_names_hold_out_validation_names(kind):
    train, valid = set(sentence_names(kind, "train")), set(sentence_names(kind, "valid"))
    assert train | valid <= set(entity_names(kind, "train")) and len(valid) >= 10 and len(train) >= 30
    assert not train & valid and set(sentence_names(kind, "test")) == set(entity_names(kind, "test"))
    tokens = {token for name in train for token in name.split()}
    shared = {token for name in entity_names(kind, "test") for token in name.split()}
    assert all(set(name.split()) - shared and not (set(name.split()) - shared) & tokens for name in valid)


def test_sentences_are_tagged_bio_with_their_names():
    task = make_ner_task(num_train=200, num_test=100, seed=3)
    assert len(task.train_tokens) == len(task.train_tags) == 200 and len(task.test_tokens) == 100
    test_names = {kind: set(entity_names(kind, "test")) for kind in ENTITY_TYPES}
    found = set()
    for tokens, tags in zip(task.test_tokens, task.test_tags):
        assert len(tokens) == len(tags)
        for kind, start, end in get_entities(tags):
            assert tags[start] == f"B-{kind}"
            assert " ".join(tokens[start:end + 1]) in test_names[kind]
            found.add(kind)
    assert found == set(ENTITY_TYPES)
    train_frames = set(templates("train"))
    for tokens, tags in zip(task.test_tokens, task.test_tags):
        frame = " ".join(f"{{{tag[2:]}}}" if tag.startswith("B-") else token
                         for token, tag in zip(tokens, tags) if not tag.startswith("I-"))
        assert frame in templates("test") and frame not in train_frames


def test_same_seed_same_task_and_another_seed_differs():
    assert make_ner_task(50, 20, seed=1) == make_ner_task(50, 20, seed=1)
    assert make_ner_task(50, 20, seed=1) != make_ner_task(50, 20, seed=2)
    with_valid = make_ner_task(50, 20, seed=1, num_valid=10)
    assert with_valid[:4] == make_ner_task(50, 20, seed=1)[:4] and len(with_valid.valid_tokens) == 10


def test_fill_template_and_random_entity():
    rng = numpy.random.default_rng(0)
    tokens, tags = fill_template("{PER} met {PER} in {LOC} .", "test", rng)
    assert tags.count("B-PER") == 2 and tags.count("B-LOC") == 1 and tokens[-1] == "." and tags[-1] == "O"
    entity = random_entity("ORG", "train", numpy.random.default_rng(5))
    assert " ".join(entity) in entity_names("ORG", "train")
    with pytest.raises(ValueError, match="kind"):
        entity_names("MISC", "train")


def test_read_conll_and_split(tmp_path):
    path = tmp_path / "ner.txt"
    path.write_text("-DOCSTART- O\n\nAda B-PER\nLovelace\tI-PER\nwrote O\n\nin O\nParis B-LOC\n\n\nhi O\n")
    tokens, tags = read_conll(path)
    assert tokens == [["Ada", "Lovelace", "wrote"], ["in", "Paris"], ["hi"]]
    assert tags == [["B-PER", "I-PER", "O"], ["O", "B-LOC"], ["O"]]
    task = split_sentences(tokens, tags, seed=0)
    assert len(task.test_tokens) == 1 and len(task.train_tokens) == 2 and not task.valid_tokens
    assert sorted(map(len, task.train_tokens + task.test_tokens)) == [1, 2, 3]
    task = split_sentences(tokens * 4, tags * 4, seed=0, valid_fraction=0.25)
    assert (len(task.train_tokens), len(task.valid_tokens), len(task.test_tokens)) == (7, 3, 2)
    path.write_text("Ada PERSON\n")
    with pytest.raises(ValueError, match="ner.txt:1"):
        read_conll(path)
