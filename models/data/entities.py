"""Named-entity recognition data: template sentences with people, organisations, locations and
dates, tagged BIO (seed 000 #13), and the user's own CoNLL-style file.

Every name list below is written here by hand and split in two: the training sentences use one
half, the test sentences the other, so no test entity (not even one of its tokens, month names and
ORG suffixes such as "Systems" aside) was seen in training. The sentence frames are split too:
they are composed from shared pools of openers, subjects, verb phrases and modifiers, and each
core clause (subject + verb phrase) belongs to one split only, chosen by a hash of its text, so
thousands of frames fall on each side and no test sentence repeats a training frame, while the
context words themselves (verbs, titles, prepositions) are the common language of both, as in any
real corpus. A model must therefore recognise an entity from its spelling and its context, never
from memory; a gazetteer of the training names finds none of the test names.

Tokens are whitespace-separated words (punctuation is its own token, as in CoNLL-2003); tags are
``"O"``, ``"B-<TYPE>"`` on an entity's first token and ``"I-<TYPE>"`` on the rest.

Validation sentences (``num_valid``) use a third split of the frames and training names made of
held-out tokens (:func:`sentence_names`), so choices such as the number of epochs are made on new
frames and new names without looking at the test set.

    task = make_ner_task(num_train=3000, num_test=1000, seed=0, num_valid=500)
    task.train_tokens[0]  # ['In', '8', 'November', '1957', ',', 'police', 'in', 'Oslo', 'announced', ...]
    task.train_tags[0]    # ['O', 'B-DATE', 'I-DATE', 'I-DATE', 'O', 'O', 'O', 'B-LOC', 'O', ...]
    random_entity("LOC", "test", numpy.random.default_rng(0))  # ['Taiwan']
"""
import functools
import re
import zlib
from typing import NamedTuple

import numpy

ENTITY_TYPES = ("PER", "ORG", "LOC", "DATE")
SPLITS = ("train", "test")

# Names are split by alternating position in each list (even -> train, odd -> test), so both
# halves mix the same origins and shapes (one word, two words, hyphens, apostrophes).
_FIRST_NAMES = (
    "Ada", "Kwame", "Ingrid", "Rahul", "Mei", "Santiago", "Olga", "Tomasz", "Aisha", "Haruto",
    "Beatriz", "Liam", "Fatima", "Nikolai", "Chiara", "Obinna", "Sofia", "Dmitri", "Yuki", "Pierre",
    "Amara", "Lars", "Priya", "Mateo", "Hannah", "Jamal", "Elena", "Kenji", "Zainab", "Henrik",
    "Lucia", "Arjun", "Greta", "Tariq", "Noor", "Emil", "Camila", "Bongani", "Astrid", "Farid",
    "Rosa", "Andrei", "Leila", "Joaquin", "Marta", "Chidi", "Isabel", "Sven", "Ananya", "Hugo",
    "Wanjiru", "Oskar", "Yara", "Lorenzo", "Mariam", "Felix", "Nadia", "Tobias", "Ximena", "Rowan",
)
_SURNAMES = (
    "Lovelace", "Mensah", "Lindqvist", "Sharma", "Chen", "Alvarez", "Petrova", "Nowak", "Okafor",
    "Tanaka", "Ferreira", "O'Connor", "Haddad", "Volkov", "Romano", "Adeyemi", "Moreau", "Kowalski",
    "Nakamura", "Dubois", "Abara", "Johansson", "Iyer", "Gutierrez", "Schmidt", "Mwangi", "Rossi",
    "Yamamoto", "Khalil", "Eriksen", "Marquez", "Banerjee", "Fischer", "Rahman", "Novak", "Ortega",
    "Nkosi", "Berg", "Sato", "Castillo", "Weber", "Oyelaran", "Moretti", "Fernandez-Lopez", "Kim",
    "Hoffmann", "Achebe", "Lindgren", "Kapoor", "Silva", "Mbeki", "Bjornsson", "Takahashi", "Duarte",
    "Van der Meer", "MacLeod", "Kuznetsov", "Osei", "Vasquez", "Holm",
)
_ORG_STEMS = (
    "Northwind", "Acme", "Bluepeak", "Halvorsen", "Orion", "Quantis", "Redwood", "Silverline",
    "Tessellate", "Umbra", "Vantage", "Westbrook", "Zenith", "Aldergrove", "Brightwater", "Cobalt",
    "Driftwood", "Emberly", "Foxglove", "Granite", "Helix", "Ironbark", "Juniper", "Kestrel",
    "Lumen", "Meridian", "Nimbus", "Oakhaven", "Pinnacle", "Quillon", "Riverton", "Stonebridge",
    "Trellis", "Upland", "Verity", "Wavecrest", "Yellowpine", "Zephyr", "Amberly", "Blackthorn",
    "Crestline", "Dovetail", "Everstone", "Fairhaven", "Glenmore", "Harbor Point", "Ivory Gate",
    "Sunfield", "Kingsley", "Larkspur",
)
# Suffixes are shared by both splits: "Systems" or "Bank" is a word of the language, not a name.
_ORG_SUFFIXES = ("Systems", "Corporation", "Labs", "Group", "Holdings", "Bank", "Institute",
                 "Foundation", "Motors", "Energy", "Pharmaceuticals", "Analytics", "Airlines",
                 "University", "Press", "Industries")
_LOCATIONS = (
    "Paris", "Nairobi", "New Zealand", "Buenos Aires", "Oslo", "Lagos", "Kyoto", "Lima", "Canada",
    "Hanoi", "San Francisco", "Rio de Janeiro", "Portugal", "Accra", "Melbourne", "Tbilisi", "Vienna",
    "Cape Town", "Iceland", "Kathmandu", "Montreal", "Dakar", "Helsinki", "Mexico City", "Peru",
    "Seoul", "Edinburgh", "Addis Ababa", "Chile", "Krakow", "Manila", "Marrakesh", "Norway", "Bogota",
    "Sri Lanka", "Lisbon", "Zurich", "Kenya", "Havana", "Tashkent", "Brazil", "Dublin", "Kuala Lumpur",
    "Ghana", "Valparaiso", "St. Petersburg", "Finland", "Wellington", "Cairo", "Mongolia", "Quebec",
    "Jakarta", "Sweden", "Casablanca", "Bangalore", "Uruguay", "Tallinn", "Hong Kong", "Senegal",
    "Antwerp", "Los Angeles", "Madagascar", "Valletta", "Gdansk", "Ottawa", "Namibia", "Bergen",
    "Tunisia", "Abu Dhabi", "Samarkand", "Glasgow", "Ecuador", "Porto", "Harare", "Nagoya",
    "Costa Rica", "Reykjavik", "Lyon", "Montevideo", "Zanzibar", "Belgrade", "Austria", "Medellin",
    "Kolkata", "Fiji", "New Delhi", "Riga", "Cusco", "Bordeaux", "Uganda", "Perth", "Istanbul",
    "Salzburg", "Taiwan", "Mombasa", "Sapporo", "Ljubljana", "Bolivia", "Durban", "Stockholm",
    "Alexandria", "Vietnam", "Geneva", "Windhoek", "Cartagena", "Scotland", "Phnom Penh", "Busan",
    "Algeria", "Sarajevo",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DATE_FORMATS = ("{day} {month} {year}", "{month} {year}", "{month} {day} {year}")

# Sentence frames are composed from shared pools of context phrases: an optional opener, a subject
# (a person, an organisation or a group of people at a place, often with a title or a relative
# clause), a verb phrase and an optional closing modifier. The words of these pools are the
# language both splits speak; what is split is the frame: each (subject, verb phrase) pair, the
# core clause, goes wholly to "train", "valid" or "test" by a hash of its text, so no test sentence
# repeats a training frame while every context word of a test sentence occurs in training.
_OPENERS = ("", "On {DATE} ,", "In {DATE} ,", "Yesterday ,", "Last week ,", "According to {PER} ,",
            "In {LOC} ,", "After {DATE} ,", "Since {DATE} ,", "Earlier this year ,", "Surprisingly ,",
            "As reported by {ORG} ,")
_SUBJECTS = (
    "{PER}", "Dr. {PER}", "Professor {PER}", "Mr. {PER}", "Ms. {PER}", "Judge {PER}", "Senator {PER}",
    "Captain {PER}", "the lawyer {PER}", "{PER} , who works for {ORG} ,", "{PER} , a spokesperson for {ORG} ,",
    "{PER} , who was born in {LOC} ,", "the chief executive of {ORG} , {PER} ,", "{PER} and {PER}",
    "{PER} from {LOC}", "{ORG}", "the company {ORG}", "researchers at {ORG}", "the board of {ORG}",
    "a spokesman for {ORG}", "{ORG} , which is based in {LOC} ,", "engineers from {ORG} and {ORG}",
    "the mayor of {LOC}", "officials in {LOC}", "police in {LOC}", "farmers near {LOC}",
    "students from {LOC}", "the government of {LOC}", "{LOC}",
)
_VERB_PHRASES = (
    "joined {ORG}", "left {ORG}", "visited {LOC}", "moved to {LOC}", "met {PER}", "thanked {PER}",
    "criticised {PER}", "praised {ORG}", "sued {ORG}", "bought {ORG}", "opened an office in {LOC}",
    "signed a contract with {ORG}", "travelled to {LOC}", "hired {PER}", "spoke to {PER}",
    "returned from {LOC}", "announced record profits", "declined to comment", "postponed the hearing",
    "published a report", "won the prize", "toured {LOC}", "told {PER} about the plan",
    "wrote a letter to {PER}", "sold its land to {ORG}", "welcomed the decision by {PER}",
    "invested heavily in {LOC}", "borrowed money from {ORG}", "raised its prices", "went on strike",
    "was founded in {DATE}", "paid a fine to {LOC}", "interviewed {PER} and {PER}",
    "built a factory near {LOC}",
)
_MODIFIERS = ("", "on {DATE}", "in {DATE}", "in {LOC}", "last year", "again", "until {DATE}",
              "after {DATE}", "for the first time", "according to {PER}")
_SPLIT_BUCKETS = {"train": range(0, 70), "valid": range(70, 80), "test": range(80, 100)}
_SLOT = re.compile(r"^\{(" + "|".join(ENTITY_TYPES) + r")\}$")


class NerTask(NamedTuple):
    """Tokenised sentences and their BIO tags: ``*_tokens`` and ``*_tags`` are lists (one entry per
    sentence) of equally long lists of str; the validation part may be empty."""

    train_tokens: list
    train_tags: list
    test_tokens: list
    test_tags: list
    valid_tokens: list = ()
    valid_tags: list = ()


def _half(names, split):
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return names[SPLITS.index(split)::2]


def _years(split):
    """Train dates fall in years ≢ 3 (mod 4), test dates in years ≡ 3 (mod 4): no shared year."""
    years = range(1900, 2030)
    return tuple(year for year in years if (year % 4 == 3) == (split == "test"))


@functools.lru_cache(maxsize=None)
def entity_names(kind, split):
    """Every name of entity type ``kind`` (one of ENTITY_TYPES) in ``split`` ('train' or 'test'),
    as a tuple of str (multi-word names have spaces). The two splits share no name."""
    if kind == "PER":
        return tuple(f"{first} {last}" for first in _half(_FIRST_NAMES, split)
                     for last in _half(_SURNAMES, split))
    if kind == "ORG":
        return tuple(f"{stem} {suffix}" for stem in _half(_ORG_STEMS, split) for suffix in _ORG_SUFFIXES)
    if kind == "LOC":
        return _half(_LOCATIONS, split)
    if kind == "DATE":
        return tuple(form.format(day=day, month=month, year=year) for form in _DATE_FORMATS
                     for year in _years(split) for month in _MONTHS for day in (range(1, 29) if "{day}" in form
                                                                                   else (1,)))
    raise ValueError(f"kind must be one of {ENTITY_TYPES}, got {kind!r}")


def random_entity(kind, split, rng):
    """The tokens (list of str) of one name of ``kind`` drawn uniformly from ``split``'s names with
    ``rng`` (a ``numpy.random.Generator``)."""
    names = entity_names(kind, split)
    return names[int(rng.integers(len(names)))].split()


def _split_of(core):
    """The split ("train", "valid" or "test") of a core clause, by a stable hash of its text."""
    bucket = zlib.crc32(core.encode("utf-8")) % 100
    return next(split for split, buckets in _SPLIT_BUCKETS.items() if bucket in buckets)


@functools.lru_cache(maxsize=None)
def templates(split):
    """The sentence frames of ``split`` ('train', 'valid' or 'test'; 'valid' is a held-out part of
    the training frames, for choices such as the number of epochs): str with ``{PER}``, ``{ORG}``,
    ``{LOC}``, ``{DATE}`` slots (each slot is filled with its own draw) between whitespace-separated
    tokens. No frame belongs to two splits."""
    if split not in _SPLIT_BUCKETS:
        raise ValueError(f"split must be one of {tuple(_SPLIT_BUCKETS)}, got {split!r}")
    frames = []
    for subject in _SUBJECTS:
        for verb in _VERB_PHRASES:
            if _split_of(f"{subject} {verb}") != split:
                continue
            for opener in _OPENERS:
                for modifier in _MODIFIERS:
                    if modifier and modifier.lower() in opener.lower():
                        continue
                    frame = " ".join(part for part in (opener, subject, verb, modifier, ".") if part)
                    frames.append(frame[0].upper() + frame[1:])
    return tuple(frames)


@functools.lru_cache(maxsize=None)
def sentence_names(kind, split):
    """The names of ``kind`` that ``split``'s sentences use: the test names for 'test'; for
    'valid', the training names made only of held-out tokens (a stable hash picks a third of the
    tokens that are not shared with the test names, such as month names and "Systems"), and for
    'train' the training names with no held-out token. So validation names are unseen in training
    sentences, as test names are, and validation can judge generalisation to new names."""
    if split == "test":
        return entity_names(kind, split)
    names = entity_names(kind, "train")
    shared = {token for name in entity_names(kind, "test") for token in name.split()}
    own = [[token for token in name.split() if token not in shared] for name in names]
    held_out = [[zlib.crc32(token.encode("utf-8")) % 3 == 0 for token in tokens] for tokens in own]
    if split == "valid":
        return tuple(name for name, flags in zip(names, held_out) if flags and all(flags))
    return tuple(name for name, flags in zip(names, held_out) if not any(flags))


def fill_template(template, split, rng):
    """``(tokens, tags)`` of one sentence: ``template`` with each slot replaced by a random name of
    its type from :func:`sentence_names` of ``split``, tagged B-/I-<TYPE>, every other token O."""
    tokens, tags = [], []
    for word in template.split():
        slot = _SLOT.match(word)
        if slot is None:
            tokens.append(word)
            tags.append("O")
            continue
        names = sentence_names(slot.group(1), split)
        entity = names[int(rng.integers(len(names)))].split()
        tokens.extend(entity)
        tags.extend([f"B-{slot.group(1)}"] + [f"I-{slot.group(1)}"] * (len(entity) - 1))
    return tokens, tags


def _sentences(split, count, rng):
    frames = templates(split)
    filled = [fill_template(frames[int(index)], split, rng) for index in rng.integers(len(frames), size=count)]
    return [tokens for tokens, _ in filled], [tags for _, tags in filled]


def make_ner_task(num_train=3000, num_test=1000, seed=0, num_valid=0):
    """A :class:`NerTask` of ``num_train`` training, ``num_test`` test and ``num_valid`` validation
    sentences, each split drawn from its own frames (train and test also from their own names; the
    validation sentences use held-out training frames with training names); the same seed gives the
    same sentences, and asking for validation sentences leaves the others unchanged."""
    rng = numpy.random.default_rng(seed)
    train_tokens, train_tags = _sentences("train", num_train, rng)
    test_tokens, test_tags = _sentences("test", num_test, rng)
    valid_tokens, valid_tags = _sentences("valid", num_valid, rng)
    return NerTask(train_tokens, train_tags, test_tokens, test_tags, valid_tokens, valid_tags)


def read_conll(path):
    """``(tokens, tags)`` lists of sentences from a CoNLL-style file: one ``token<space or
    tab>tag`` per line (the tag is the last field), a blank line between sentences; lines starting
    with ``-DOCSTART-`` are skipped. A malformed line raises ValueError naming it."""
    sentences, tags, tokens, labels = [], [], [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields or fields[0] == "-DOCSTART-":
                if tokens:
                    sentences.append(tokens)
                    tags.append(labels)
                tokens, labels = [], []
                continue
            if len(fields) < 2 or not re.fullmatch(r"O|[BI]-\S+", fields[-1]):
                raise ValueError(f"{path}:{number}: expected 'token tag' with a BIO tag (O, B-X, I-X), "
                                 f"got {line.strip()!r}")
            tokens.append(fields[0])
            labels.append(fields[-1])
    if tokens:
        sentences.append(tokens)
        tags.append(labels)
    if len(sentences) < 2:
        raise ValueError(f"{path}: found {len(sentences)} sentence(s); need at least 2 to split train/test")
    return sentences, tags


def split_sentences(tokens, tags, test_fraction=0.2, seed=0, valid_fraction=0.0):
    """A :class:`NerTask` from one list of sentences: a seeded random ``test_fraction`` of them (at
    least one) is the test part, ``valid_fraction`` (rounded, possibly none) the validation part,
    the rest (at least one) the training part."""
    order = numpy.random.default_rng(seed).permutation(len(tokens))
    num_test = min(max(1, round(test_fraction * len(tokens))), len(tokens) - 1)
    num_valid = min(round(valid_fraction * len(tokens)), len(tokens) - 1 - num_test)
    parts = numpy.split(order, [num_test, num_test + num_valid])
    test, valid, train = (sorted(part) for part in parts)
    return NerTask([tokens[i] for i in train], [tags[i] for i in train], [tokens[i] for i in test],
                   [tags[i] for i in test], [tokens[i] for i in valid], [tags[i] for i in valid])
