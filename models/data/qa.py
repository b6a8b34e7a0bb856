"""Extractive question answering on generated biographies: the answer is a span of the context.

Each context is 2-4 sentences about two people (and the organisations they founded): where and
when each was born, what they founded and when, where they moved, where an organisation is based.
The question asks for one fact ("Where was Ada Lovelace born?", "When did Alan Turing found Acme?",
"Who founded Acme?") whose answer is a contiguous span of the context; the other person's facts
are distractors of the same kinds, so matching the entity type alone is not enough. Names come from
:func:`models.data.entities.sentence_names`: the test set draws its people, places, organisations
and dates from the ``"test"`` name lists, which share no name with the ``"train"`` lists, so the
test measures reading on names the model never saw; validation questions (``num_valid``) use names
made of tokens held out of the training names, so choices such as the number of epochs are made on
unseen names without looking at the test.

Every example records the character span of its answer and of every entity in its context (kind,
start, end), which the baseline (:func:`first_entity_baseline`) reads. ``--data`` files are JSON
lines ``{"context": ..., "question": ..., "answer": ...}`` with the answer a substring of the
context (its first occurrence is the gold span), optionally ``"entities": [[kind, start, end], ...]``.

Scoring follows SQuAD's evaluation script (:func:`squad_scores`): lower-cased, punctuation and
articles removed, then exact match and token-overlap F1.
"""
import calendar
import collections
import json
import re
import string
from typing import NamedTuple

import numpy

from models.data.entities import sentence_names

WORD = re.compile(r"\w+|[^\w\s]")  # WordTokenizer's split: words and single punctuation marks
QUESTION_KINDS = {"where": "LOC", "when": "DATE", "who": "PER", "what": "ORG", "which": "ORG"}


class QAExample(NamedTuple):
    """One question: ``answer == context[answer_start:answer_start + len(answer)]``; ``entities``
    is a tuple of ``(kind, start, end)`` character spans of the context (empty when unknown)."""

    context: str
    question: str
    answer: str
    answer_start: int
    entities: tuple = ()


class QATask(NamedTuple):
    """Lists of :class:`QAExample` for training, testing and validation (disjoint names when
    generated; ``valid`` may be empty)."""

    train: list
    test: list
    valid: list = ()


# A fact's sentences: {P} person, {O} organisation, {L} place, {D} date phrase ("in 1815",
# "on 3 May 1815"), {D_} the same phrase capitalised to open a sentence.
SENTENCES = {
    "born": ("{P} was born in {L} {D}.", "{P} was born {D} in {L}.", "{L} is where {P} was born {D}."),
    "founded": ("{P} founded {O} {D}.", "{O} was founded by {P} {D}.", "{D_}, {P} founded {O}."),
    "moved": ("{P} moved to {L} {D}.", "{D_}, {P} moved to {L}.", "{P} relocated to {L} {D}."),
    "based": ("{O} is based in {L}.", "{O} has its headquarters in {L}.", "The headquarters of {O} are in {L}."),
}
# A fact's questions: (question template, the slot that answers it).
QUESTIONS = {
    "born": (("Where was {P} born?", "L"), ("When was {P} born?", "D"), ("Who was born in {L}?", "P")),
    "founded": (("Who founded {O}?", "P"), ("What did {P} found?", "O"), ("When did {P} found {O}?", "D"),
                ("When was {O} founded?", "D")),
    "moved": (("Where did {P} move to?", "L"), ("When did {P} move to {L}?", "D"), ("Who moved to {L}?", "P")),
    "based": (("Where is {O} based?", "L"), ("Which organisation is based in {L}?", "O")),
}
SLOT_KINDS = {"P": "PER", "O": "ORG", "L": "LOC", "D": "DATE"}


def make_qa_task(num_train=4000, num_test=500, seed=0, data=None, num_valid=0):
    """A :class:`QATask`: generated from ``seed`` (train, validation and test names disjoint; asking
    for validation questions leaves the others unchanged), or read from the JSON-lines file
    ``data`` and split 80/20 by a seeded shuffle (no validation part)."""
    if data is not None:
        return load_qa_file(data, seed=seed)
    rng = numpy.random.default_rng(seed)
    return QATask([generate_example("train", rng) for _ in range(num_train)],
                  [generate_example("test", rng) for _ in range(num_test)],
                  [generate_example("valid", rng) for _ in range(num_valid)])


def generate_example(split, rng):
    """One :class:`QAExample` whose entities come from ``split``'s names ('train', 'valid' or
    'test': :func:`models.data.entities.sentence_names`, so validation names, made of tokens held
    out of the training names, are as unseen as test names)."""
    facts = _draw_facts(split, rng)
    context, spans = _write_context(facts, rng)
    asked = facts[rng.integers(len(facts))]
    template, slot = QUESTIONS[asked["fact"]][rng.integers(len(QUESTIONS[asked["fact"]]))]
    question = template.format(**{key: asked[key] for key in "POL" if key in asked})
    start, end = spans[(id(asked), slot)]
    entities = sorted(((SLOT_KINDS[slot], begin, stop) for (_, slot), (begin, stop) in spans.items()),
                      key=lambda entity: entity[1])
    return QAExample(context, question, context[start:end], start, tuple(entities))


def _draw_facts(split, rng):
    """2-4 facts about two people, every entity distinct within the context."""
    draw = _distinct_names(split, rng)
    people = [draw("PER"), draw("PER")]
    facts = []
    for person in people:
        for fact in rng.permutation(["born", "founded", "moved"])[:rng.integers(1, 3)]:
            entry = {"fact": str(fact), "P": person, "D": draw("DATE")}
            entry.update({"L": draw("LOC")} if fact != "founded" else {"O": draw("ORG")})
            facts.append(entry)
    organisations = [fact for fact in facts if fact["fact"] == "founded"]
    if organisations and len(facts) < 4 and rng.random() < 0.5:
        facts.append({"fact": "based", "O": organisations[0]["O"], "L": draw("LOC")})
    order = rng.permutation(len(facts))
    return [facts[index] for index in order]


def _distinct_names(split, rng):
    """``draw(kind)``: a name of ``kind`` from ``split`` not drawn before for this context."""
    used = set()

    def draw(kind):
        names = sentence_names(kind, split)
        while True:
            name = names[rng.integers(len(names))]
            if name not in used and not any(name in other or other in name for other in used):
                used.add(name)
                return name
    return draw


def _write_context(facts, rng):
    """``(context, {(id(fact), slot): (start, end)})``: one sentence per fact, entity offsets kept."""
    context, spans = "", {}
    for fact in facts:
        template = SENTENCES[fact["fact"]][rng.integers(len(SENTENCES[fact["fact"]]))]
        if context:
            context += " "
        for piece in re.split(r"(\{\w+\})", template):
            slot = piece[1:-1] if piece.startswith("{") else None
            if slot is None:
                context += piece
                continue
            value = _date_phrase(fact["D"], capital=slot == "D_") if slot.startswith("D") else fact[slot]
            offset = len(value) - len(fact[slot[0]]) if slot.startswith("D") else 0
            spans[(id(fact), slot[0])] = (len(context) + offset, len(context) + len(value))
            context += value
    return context, spans


def _date_phrase(date, capital=False):
    """"on 3 May 1815" / "on May 3 1815" for a full date, "in May 1815" / "in 1815" otherwise."""
    preposition = "on" if len(date.split()) == 3 else "in"
    return f"{preposition.capitalize() if capital else preposition} {date}"


def load_qa_file(path, test_fraction=0.2, seed=0):
    """The user's JSON-lines file as a :class:`QATask` (seeded 80/20 split); ValueError naming the
    line when a field is missing or the answer is not a substring of the context."""
    examples = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if line.strip():
                examples.append(_parse_line(line, f"{path}:{number}"))
    if len(examples) < 2:
        raise ValueError(f"{path!r}: need at least 2 examples, got {len(examples)}")
    order = numpy.random.default_rng(seed).permutation(len(examples))
    num_test = max(1, int(round(len(examples) * test_fraction)))
    return QATask([examples[i] for i in order[num_test:]], [examples[i] for i in order[:num_test]])


def _parse_line(line, where):
    try:
        row = json.loads(line)
        context, question, answer = str(row["context"]), str(row["question"]), str(row["answer"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{where}: expected a JSON object with context, question, answer ({error})") from None
    start = context.find(answer)
    if not answer or start < 0:
        raise ValueError(f"{where}: the answer {answer!r} is not a substring of the context")
    entities = tuple((str(kind), int(begin), int(end)) for kind, begin, end in row.get("entities", ()))
    return QAExample(context, question, answer, start, entities)


def word_spans(text):
    """The ``(start, end)`` character span of each word and punctuation mark of ``text``."""
    return [match.span() for match in WORD.finditer(text)]


def answer_words(example, spans=None):
    """``(first, last)`` indices into ``word_spans(example.context)`` of the words the answer covers."""
    spans = word_spans(example.context) if spans is None else spans
    end = example.answer_start + len(example.answer)
    covered = [index for index, (start, stop) in enumerate(spans) if start < end and stop > example.answer_start]
    return covered[0], covered[-1]


def first_entity_baseline(example):
    """The type-matching rule: the question word gives a kind (where: LOC, when: DATE, who: PER,
    what/which: ORG) and the answer is the context's first entity of that kind that the question
    does not name. None when the example has no entity annotations or no such entity."""
    kind = QUESTION_KINDS.get(example.question.split()[0].lower()) if example.question.split() else None
    for entity_kind, start, end in sorted(example.entities, key=lambda entity: entity[1]):
        name = example.context[start:end]
        if entity_kind == kind and name not in example.question:
            return name
    return None


def normalize_answer(text):
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(char for char in text.lower() if char not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def squad_scores(predictions, answers):
    """``(exact_match, f1)`` means over pairs, as SQuAD's script scores them (a None prediction
    scores 0). F1 is over the normalised answers' word multisets."""
    exact, overlap = [], []
    for predicted, gold in zip(predictions, answers):
        predicted_words = normalize_answer(predicted or "").split()
        gold_words = normalize_answer(gold).split()
        exact.append(float(predicted is not None and predicted_words == gold_words))
        common = sum((collections.Counter(predicted_words) & collections.Counter(gold_words)).values())
        overlap.append(0.0 if common == 0 else
                       2 * common / (len(predicted_words) + len(gold_words)))
    return float(numpy.mean(exact)) if exact else 0.0, float(numpy.mean(overlap)) if overlap else 0.0


class QAFeatures(NamedTuple):
    """A batch of encoded examples as int64/bool NumPy arrays (N, T): ``ids`` of
    ``[CLS] question [SEP] context [SEP]`` (``bos_id`` and ``eos_id`` serve as CLS and SEP),
    ``segment_ids`` (0 question, 1 context, 2 a context word that also occurs in the question when
    ``mark_matches``), ``context_mask`` (True on context tokens),
    ``token_words`` (the context word each token belongs to, -1 elsewhere), gold ``starts`` and
    ``ends`` (N,) token positions (0, the CLS, when truncation cut the answer off) and each row's
    ``lengths`` (N,) before padding."""

    ids: numpy.ndarray
    segment_ids: numpy.ndarray
    context_mask: numpy.ndarray
    token_words: numpy.ndarray
    starts: numpy.ndarray
    ends: numpy.ndarray
    lengths: numpy.ndarray


def encode_examples(tokenizer, examples, max_length=128, mark_matches=False, word_shapes=False):
    """:class:`QAFeatures` of ``examples``: each word is encoded on its own (with a leading space,
    so BPE sees it as inside a sentence), so every token maps back to one context word; the context
    is cut where the sequence would pass ``max_length`` tokens, padding is ``pad_id``.

    ``mark_matches`` gives context words found in the question (case-insensitive) segment id 2:
    DrQA's exact-match feature (Chen et al., 2017), which tells a model where the question's words
    (an unseen name included) recur without it having to learn to compare tokens first.

    ``word_shapes`` adds ``3 * word_shape(...)`` to every question and context token's segment id
    (:data:`NUM_SEGMENTS` ids in all): the tokenizer lower-cases and maps every unseen word to
    ``<unk>``, so without it an unknown year, an unknown place and the hyphen of an unknown
    double-barrelled name all read the same."""
    encode = _word_encoder(tokenizer)
    rows = [_encode_example(example, encode, tokenizer, max_length, mark_matches, word_shapes)
            for example in examples]
    width = max(len(row[0]) for row in rows)
    arrays = [numpy.full((len(rows), width), fill, dtype=dtype) for fill, dtype in
              ((tokenizer.pad_id, numpy.int64), (0, numpy.int64), (False, bool), (-1, numpy.int64))]
    for index, row in enumerate(rows):
        for array, values in zip(arrays, row[:4]):
            array[index, :len(values)] = values
    starts, ends = (numpy.array([row[position] for row in rows], dtype=numpy.int64) for position in (4, 5))
    lengths = numpy.array([len(row[0]) for row in rows], dtype=numpy.int64)
    return QAFeatures(*arrays, starts, ends, lengths)


def _word_encoder(tokenizer):
    """``encode(word) -> list[int]`` with a cache: the same words recur in every context."""
    cache = {}

    def encode(word):
        if word not in cache:
            cache[word] = tokenizer.encode(" " + word)
        return cache[word]
    return encode


def _encode_example(example, encode, tokenizer, max_length, mark_matches, word_shapes):
    shape_of = (lambda text, start, end: 3 * word_shape(text, start, end)) if word_shapes else (lambda *_: 0)
    question_spans = word_spans(example.question)
    question_words = [example.question[start:end] for start, end in question_spans]
    matched = {word.lower() for word in question_words} if mark_matches else set()
    question, segments = [], [0]
    for word, (start, end) in zip(question_words, question_spans):
        pieces = encode(word)
        question.extend(pieces)
        segments.extend([shape_of(example.question, start, end)] * len(pieces))
    prefix = [tokenizer.bos_id, *question, tokenizer.eos_id]
    segments.append(0)
    spans = word_spans(example.context)
    context, words = [], []
    for index, (start, end) in enumerate(spans):
        word = example.context[start:end]
        pieces = encode(word)
        if len(prefix) + len(context) + len(pieces) + 1 > max_length:
            break
        context.extend(pieces)
        words.extend([index] * len(pieces))
        part = 2 if word.lower() in matched else 1
        segments.extend([part + shape_of(example.context, start, end)] * len(pieces))
    first, last = answer_words(example, spans)
    offset = len(prefix)
    starts = [offset + position for position, word in enumerate(words) if word == first]
    ends = [offset + position for position, word in enumerate(words) if word == last]
    ids = prefix + context + [tokenizer.eos_id]
    segments.append(1)
    mask = [False] * len(prefix) + [True] * len(context) + [False]
    token_words = [-1] * len(prefix) + words + [-1]
    answered = starts and ends
    return ids, segments, mask, token_words, starts[0] if answered else 0, ends[-1] if answered else 0


# Word shapes (see word_shape); with them a token's segment id is part + 3 * shape.
SHAPES = ("lower", "capitalised", "number", "punctuation", "joining punctuation")
NUM_SEGMENTS = 3 * len(SHAPES)


def word_shape(text, start, end):
    """The index in :data:`SHAPES` of the word ``text[start:end]``: lower case, capitalised, a
    number, punctuation, or punctuation joining two words with no space around it (the hyphen of
    "Fernandez-Lopez", the apostrophe of "O'Connor"): what a word's spelling tells when the
    word itself is unknown."""
    first = text[start]
    if first.isdigit():
        return 2
    if first.isalpha() or first == "_":
        return 1 if first.isupper() else 0
    joined = 0 < start and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return 4 if joined else 3


def drop_words(ids, rate, rng, unk_id, special_ids):
    """Word dropout by type: in each row of ``ids`` (N, T) int64, every distinct id outside
    ``special_ids`` becomes ``unk_id`` with probability ``rate``, at all its positions at once (in
    the question and in the context alike), so training sees what a test name looks like: unknown
    words the question and the context share. ``rate`` is one float or a float array (vocab,) with
    each id's own probability (see :func:`name_shaped_ids`). ``rng`` is a ``numpy.random.Generator``."""
    ids = numpy.asarray(ids)
    width = int(ids.max(initial=0)) + 1
    rates = numpy.broadcast_to(numpy.asarray(rate, dtype=numpy.float64), (max(width, numpy.size(rate)),))[:width]
    chosen = rng.random((len(ids), width)) < rates
    dropped = chosen[numpy.arange(len(ids))[:, None], ids] & ~numpy.isin(ids, list(special_ids))
    return numpy.where(dropped, unk_id, ids)


MONTHS = {month.lower() for month in calendar.month_name[1:]}


def name_shaped_ids(tokenizer, examples, numbers=True):
    """Ids that only ever occur in name-shaped words of ``examples``: words written with a capital
    or a digit first at every occurrence, and found inside a sentence at least once (so not "The",
    "Who", which only open one), month names excepted (a closed class, the same in every text),
    and digit-led words too unless ``numbers``. Read from the surface of the text alone, no entity
    annotation: these are the words a test question's unseen names replace, so training may hide
    them more."""
    shapes = collections.defaultdict(set)  # word -> {"lower", "inside"} as seen
    for example in examples:
        for text in (example.question, example.context):
            words = WORD.findall(text)
            for position, word in enumerate(words):
                if not (word[0].isupper() or word[0].isdigit()):
                    shapes[word].add("lower")
                if position > 0 and words[position - 1] not in ".?!":
                    shapes[word].add("inside")
    encode = _word_encoder(tokenizer)
    names = {word for word, seen in shapes.items() if seen == {"inside"} and word.lower() not in MONTHS
             and (numbers or not word[0].isdigit())}
    common = {token for word in shapes.keys() - names for token in encode(word) + encode(word.lower())}
    return numpy.array(sorted({token for word in names for token in encode(word)} - common), dtype=numpy.int64)


def span_answer(example, token_words, start, end):
    """The context text from the word of token ``start`` to the word of token ``end`` (None when
    either is not a context token, or the span is punctuation alone), widened to whole
    whitespace-separated words as BERT's SQuAD decoding maps its pieces back to the original words
    (so "Fernandez-" and "'Connor" become "Fernandez-Lopez" and "O'Connor"), without the
    punctuation that ends a clause."""
    first, last = int(token_words[start]), int(token_words[end])
    if first < 0 or last < 0 or last < first:
        return None
    spans = word_spans(example.context)
    begin, stop = spans[first][0], spans[last][1]
    if not any(char.isalnum() for char in example.context[begin:stop]):
        return None
    while begin > 0 and not example.context[begin - 1].isspace():
        begin -= 1
    while stop < len(example.context) and not example.context[stop].isspace():
        stop += 1
    return example.context[begin:stop].rstrip(".,;:?!") or None
