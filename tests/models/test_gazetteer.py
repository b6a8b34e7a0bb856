"""Tests for models/gazetteer.py: longest match of training names and learned date shapes."""
from models.gazetteer import Gazetteer

SENTENCES = [["Ada", "Lovelace", "visited", "New", "Zealand", "on", "3", "March", "1998", "."],
             ["New", "Systems", "hired", "Ada", "."]]
TAGS = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "B-DATE", "I-DATE", "I-DATE", "O"],
        ["B-ORG", "I-ORG", "O", "B-PER", "O"]]


def test_longest_known_name_wins_and_unknown_names_stay_o():
    rules = Gazetteer.fit(SENTENCES, TAGS)
    assert rules.tag(["Ada", "Lovelace", "met", "Ada", "and", "Grace", "Hopper", "in", "New", "Zealand"]) == [
        "B-PER", "I-PER", "O", "B-PER", "O", "O", "O", "O", "B-LOC", "I-LOC"]
    assert rules.tag(["New", "Systems", "and", "New", "Labs"]) == ["B-ORG", "I-ORG", "O", "O", "O"]


def test_dates_of_a_seen_shape_are_found_unless_disabled():
    sentence = ["on", "17", "March", "1907", "and", "March", "1907"]
    assert Gazetteer.fit(SENTENCES, TAGS).predict([sentence]) == [
        ["O", "B-DATE", "I-DATE", "I-DATE", "O", "O", "O"]]  # only the shape day-month-year was seen
    assert Gazetteer.fit(SENTENCES, TAGS, learn_dates=False).predict([sentence]) == [["O"] * 7]
    assert Gazetteer.fit(SENTENCES, TAGS).months == {"March"}
