"""models/data/qa.py: answers are spans, train and test names disjoint, seeded, encoding maps tokens
back to words, SQuAD scoring by hand, the baseline rule, the user's JSON-lines file."""
import json

import numpy
import pytest

from tinygrad_lite import text
from models.data.entities import entity_names, sentence_names
from models.data.qa import (NUM_SEGMENTS, QAExample, answer_words, drop_words, encode_examples, first_entity_baseline,
                            load_qa_file, make_qa_task, name_shaped_ids, span_answer, squad_scores, word_shape)

TASK = make_qa_task(num_train=200, num_test=100, seed=3, num_valid=100)


def test_every_answer_is_the_span_it_claims_and_every_entity_a_name_of_its_kind():
    for split, examples in (("train", TASK.train), ("test", TASK.test), ("valid", TASK.valid)):
        for example in examples:
            assert example.context[example.answer_start:example.answer_start + len(example.answer)] == example.answer
            assert 2 <= example.context.count(".") - example.context.count("St.") <= 4
            for kind, start, end in example.entities:
                assert example.context[start:end] in sentence_names(kind, split)
                assert example.context[start:end] in entity_names(kind, "test" if split == "test" else "train")


def test_test_names_never_occur_in_training_and_the_seed_fixes_the_task():
    train_answers = {example.answer for example in TASK.train}
    assert not train_answers & {example.answer for example in TASK.test}
    assert not train_answers & {example.answer for example in TASK.valid}
    assert make_qa_task(num_train=200, num_test=100, seed=3, num_valid=100) == TASK
    assert make_qa_task(num_train=200, num_test=100, seed=4, num_valid=100) != TASK
    without_valid = make_qa_task(num_train=200, num_test=100, seed=3)  # validation is drawn last
    assert without_valid.train == TASK.train and without_valid.test == TASK.test and not without_valid.valid


def test_encoding_marks_the_gold_span_the_context_and_the_question_words():
    tokenizer = text.BPETokenizer.train([one.question + " " + one.context for one in TASK.train], vocab_size=300)
    features = encode_examples(tokenizer, TASK.test, max_length=400, mark_matches=True)
    rows = numpy.arange(len(TASK.test))
    assert (features.ids[:, 0] == tokenizer.bos_id).all()
    assert (features.ids[rows, features.lengths - 1] == tokenizer.eos_id).all()
    assert features.context_mask[rows, features.starts].all() and (features.ends >= features.starts).all()
    for row, example in enumerate(TASK.test):
        assert span_answer(example, features.token_words[row], features.starts[row], features.ends[row]) == example.answer
    assert set(numpy.unique(features.segment_ids[features.context_mask])) == {1, 2}
    assert not features.segment_ids[~features.context_mask & (features.token_words >= 0)].any()


def test_a_truncated_answer_points_at_cls_and_words_map_back_with_their_spacing():
    example = QAExample("Ada Lovelace was born in St. Petersburg.", "Where was Ada Lovelace born?",
                        "St. Petersburg", 25)
    assert answer_words(example) == (5, 7)
    tokenizer = text.WordTokenizer.train([example.context])
    cut = encode_examples(tokenizer, [example], max_length=12)
    assert cut.starts[0] == cut.ends[0] == 0 and cut.lengths[0] == 12
    whole = encode_examples(tokenizer, [example])
    assert span_answer(example, whole.token_words[0], whole.starts[0], whole.ends[0]) == "St. Petersburg"
    assert span_answer(example, whole.token_words[0], 0, whole.ends[0]) is None
    # a span ending inside a whitespace-separated word takes the whole word, not the full stop after it
    name = QAExample("Emil O'Connor met Ada Fernandez-Lopez.", "Who met Emil?", "Ada Fernandez-Lopez", 18)
    words = encode_examples(text.WordTokenizer.train([name.context]), [name])
    first = list(words.token_words[0]).index(0)  # Emil O ' Connor met Ada Fernandez - Lopez .
    assert span_answer(name, words.token_words[0], first + 1, first + 2) == "O'Connor"
    assert span_answer(name, words.token_words[0], first + 5, first + 7) == "Ada Fernandez-Lopez"
    assert span_answer(name, words.token_words[0], first + 9, first + 9) is None  # the full stop alone


def test_word_shapes_join_the_segment_ids():
    context = "Emil O'Connor, born 1907 in Rio de Janeiro-Sul."
    words = ["Emil", "'", ",", "1907", "de", "-"]  # Capitalised, inside a word, punctuation, number, lower, inside
    starts = [context.index(word) for word in words]
    shapes = [word_shape(context, start, start + len(word)) for word, start in zip(words, starts)]
    assert shapes == [1, 4, 3, 2, 0, 4]
    example = QAExample(context, "Where was Emil O'Connor born?", "Rio de Janeiro-Sul", context.index("Rio"))
    tokenizer = text.WordTokenizer.train([context])
    plain, shaped = (encode_examples(tokenizer, [example], mark_matches=True, word_shapes=flag) for flag in (0, 1))
    assert (shaped.segment_ids % 3 == plain.segment_ids).all() and shaped.segment_ids.max() < NUM_SEGMENTS
    # [CLS] Where was Emil O ' Connor born ? [SEP] | Emil O ' Connor , born 1907: part + 3 * shape
    assert shaped.segment_ids[0, :17].tolist() == [0, 3, 0, 3, 3, 12, 3, 0, 9, 0, 5, 5, 14, 5, 10, 2, 7]


def test_word_dropout_hides_a_word_everywhere_in_its_row_and_never_a_special_id():
    ids = numpy.array([[2, 7, 8, 7, 3, 9, 7, 3, 0], [2, 7, 7, 3, 8, 8, 7, 3, 0]] * 200)
    dropped = drop_words(ids, 0.5, numpy.random.default_rng(0), unk_id=1, special_ids=[0, 1, 2, 3])
    special = ids <= 3
    assert (dropped[special] == ids[special]).all() and set(numpy.unique(dropped[~special])) == {1, 7, 8, 9}
    sevens = ids == 7  # each row's 7s are all kept or all dropped, about half of the rows each
    assert all(len(set(row[mask])) == 1 for row, mask in zip(dropped, sevens))
    assert 0.4 < (dropped[:, 1] == 1).mean() < 0.6
    assert (drop_words(ids, 0.0, numpy.random.default_rng(0), 1, [0, 1, 2, 3]) == ids).all()
    rates = numpy.array([0.0] * 7 + [1.0, 0.0, 0.5])  # per id: 7 always hidden, 8 never, 9 half the rows
    dropped = drop_words(ids, rates, numpy.random.default_rng(0), 1, [0, 1, 2, 3])
    assert (dropped[sevens] == 1).all() and (dropped[ids == 8] == 8).all() and 0.4 < (dropped[::2, 5] == 1).mean() < 0.6


def test_name_shaped_words_are_capitalised_or_numeric_everywhere_and_inside_a_sentence_once():
    examples = [QAExample("On 3 May 1815, Ada Lovelace moved to Hong Kong. The bank is in Hong Kong.",
                          "Who moved to Hong Kong on 3 May?", "Ada Lovelace", 14),
                QAExample("Ada was born in Paris.", "Where was Ada born?", "Paris", 16)]
    tokenizer = text.WordTokenizer.train([one.question + " " + one.context for one in examples])
    names = {tokenizer.id_to_token(token) for token in name_shaped_ids(tokenizer, examples)}
    # "On" and "on" share an id; "The" and "Who" only open a sentence; "Lovelace" is seen inside one;
    # "May" is a month name, not a name
    assert names == {"3", "1815", "ada", "lovelace", "hong", "kong", "paris"}
    words = {tokenizer.id_to_token(token) for token in name_shaped_ids(tokenizer, examples, numbers=False)}
    assert words == {"ada", "lovelace", "hong", "kong", "paris"}


def test_squad_scores_against_a_hand_computation():
    # "the Eiffel Tower" vs "Eiffel Tower": equal once the article goes; "Paris France" vs "Paris":
    # precision 1/2, recall 1 -> F1 2/3; a None prediction scores 0.
    exact, f1 = squad_scores(["the Eiffel Tower", "Paris France", None], ["Eiffel Tower", "Paris", "x"])
    assert exact == pytest.approx(1 / 3) and f1 == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_the_baseline_takes_the_first_entity_of_the_asked_kind_not_named_in_the_question():
    context = "Ada Lovelace was born in Paris. Alan Turing moved to Oslo."
    entities = (("PER", 0, 12), ("LOC", 25, 30), ("PER", 32, 43), ("LOC", 53, 57))
    assert first_entity_baseline(QAExample(context, "Where did Alan Turing move to?", "Oslo", 53, entities)) == "Paris"
    assert first_entity_baseline(QAExample(context, "Who was born in Paris?", "Ada Lovelace", 0, entities)) == "Ada Lovelace"
    assert first_entity_baseline(QAExample(context, "Who moved to Oslo?", "Alan Turing", 32)) is None


def test_the_users_json_lines_file(tmp_path):
    rows = [{"context": f"Item {n} is red.", "question": f"What colour is item {n}?", "answer": "red"}
            for n in range(10)]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n")
    task = load_qa_file(path, seed=1)
    assert len(task.train) == 8 and len(task.test) == 2
    assert all(example.answer_start == example.context.index("red") for example in task.train + task.test)
    path.write_text(json.dumps({"context": "abc", "question": "q", "answer": "zz"}) + "\n")
    with pytest.raises(ValueError, match="qa.jsonl:1: the answer 'zz' is not a substring"):
        load_qa_file(path)
