"""Named-entity recognition data: template sentences with people, organisations, locations and
dates, tagged BIO (seed 000 #13), and the user's own CoNLL-style file.

Every name list below is written here by hand and split in two: the training sentences use one
half, the test sentences the other, so no test entity (not even one of its tokens, month names and
ORG suffixes such as "Systems" aside) was seen in training. The templates are split too: 36
training and 36 test sentence frames, written separately, so a test sentence is a new context as
well as new names. A model must therefore recognise an entity from its spelling and its context,
never from memory; a gazetteer of the training names finds none of the test names.

Tokens are whitespace-separated words (punctuation is its own token, as in CoNLL-2003); tags are
``"O"``, ``"B-<TYPE>"`` on an entity's first token and ``"I-<TYPE>"`` on the rest.

    task = make_ner_task(num_train=3000, num_test=1000, seed=0)
    task.train_tokens[0]  # ['On', '3', 'March', '1998', ',', 'Ada', 'Lovelace', 'joined', ...]
    task.train_tags[0]    # ['O', 'B-DATE', 'I-DATE', 'I-DATE', 'O', 'B-PER', 'I-PER', 'O', ...]
    random_entity("LOC", "test", numpy.random.default_rng(0))  # ['Buenos', 'Aires']
"""
import functools
import re
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

_TRAIN_TEMPLATES = (
    "{PER} joined {ORG} on {DATE} .",
    "On {DATE} , {PER} moved to {LOC} .",
    "{ORG} opened a new office in {LOC} .",
    "The company {ORG} was founded in {LOC} in {DATE} .",
    "Yesterday {PER} said that {ORG} would hire more engineers .",
    "{PER} was born in {LOC} on {DATE} .",
    "According to {PER} , the deal with {ORG} is not finished .",
    "Shares of {ORG} fell sharply after {DATE} .",
    "Researchers at {ORG} published the study in {DATE} .",
    "{PER} visited {LOC} and met {PER} there .",
    "The mayor of {LOC} thanked {PER} for the donation .",
    "She works for {ORG} , which is based in {LOC} .",
    "In {DATE} the team travelled from {LOC} to {LOC} .",
    "Dr. {PER} leads the research group at {ORG} .",
    "{PER} , a spokesperson for {ORG} , declined to comment .",
    "Heavy rain flooded the streets of {LOC} last week .",
    "The contract was signed by {PER} and {PER} on {DATE} .",
    "Since {DATE} , {ORG} has lost many customers in {LOC} .",
    "Our reporter in {LOC} spoke to {PER} .",
    "{ORG} announced record profits for the year .",
    "Tourists often fly to {LOC} in the summer .",
    "Professor {PER} will retire on {DATE} .",
    "The board of {ORG} appointed {PER} as chief executive .",
    "He grew up near {LOC} before studying at {ORG} .",
    "Police in {LOC} are looking for witnesses .",
    "The festival in {LOC} starts on {DATE} .",
    "{PER} won the prize ahead of {PER} .",
    "Investors expect {ORG} to buy {ORG} soon .",
    "A new bridge connects {LOC} with {LOC} .",
    "Ms. {PER} wrote a letter to the editor .",
    "The report from {ORG} was released on {DATE} .",
    "Few people remember what happened in {LOC} on {DATE} .",
    "Mr. {PER} denied every accusation .",
    "Engineers from {ORG} and {ORG} built the new engine together .",
    "After {DATE} nobody from {ORG} returned to {LOC} .",
    "{PER} thinks the museum in {LOC} is the best in the world .",
    "{LOC} reported its warmest winter in decades .",
    "Farmers near {LOC} sold their land to {ORG} .",
    "Visitors to {LOC} can rent bicycles cheaply .",
    "Elections in {LOC} were held on {DATE} .",
    "Customers complained that {ORG} raised its prices again .",
    "Critics say {PER} copied the design from {ORG} .",
    "Several teachers from {LOC} joined the strike .",
    "Prices in {LOC} rose quickly after {DATE} .",
    "Officials in {LOC} met delegates from {LOC} .",
    "Nurses at {ORG} welcomed the decision by {PER} .",
    "Two fishermen were rescued off the coast of {LOC} .",
    "Everybody agreed that {PER} had played brilliantly .",
    "Lawyers for {ORG} filed an appeal on {DATE} .",
    "Most trains to {LOC} were cancelled because of the storm .",
)
_TEST_TEMPLATES = (
    "Last month {PER} became the director of {ORG} .",
    "The conference will take place in {LOC} from {DATE} .",
    "{ORG} has agreed to pay a fine of ten million dollars .",
    "Thousands marched through {LOC} on {DATE} to protest .",
    "Asked about the merger , {PER} smiled and left the room .",
    "Her grandmother emigrated from {LOC} to {LOC} as a child .",
    "The lawsuit against {ORG} was dropped in {DATE} .",
    "{PER} and her brother {PER} run a bakery in {LOC} .",
    "Analysts at {ORG} expect prices to rise again .",
    "The ship left {LOC} early in the morning .",
    "Judge {PER} postponed the hearing until {DATE} .",
    "Nobody at {ORG} had heard of {PER} before the interview .",
    "Fans waited outside the stadium in {LOC} for hours .",
    "Until {DATE} the factory belonged to {ORG} .",
    "Critics praised the new novel by {PER} .",
    "{LOC} will host the championship next year .",
    "The minister flew to {LOC} to meet {PER} .",
    "A spokesman said {ORG} regrets the delay .",
    "Students from {LOC} protested against {ORG} on {DATE} .",
    "Captain {PER} guided the plane safely to {LOC} .",
    "Her first album appeared in {DATE} and sold poorly .",
    "Volunteers cleaned the beaches of {LOC} .",
    "{ORG} quietly closed its branch in {LOC} .",
    "The painting was bought by {PER} for a record price .",
    "Doctors at {ORG} treated {PER} for minor injuries .",
    "Snow fell in {LOC} for the first time since {DATE} .",
    "Without {PER} , the orchestra would never have toured {LOC} .",
    "The archive of {ORG} holds letters from {PER} .",
    "Exports from {LOC} doubled between {DATE} and {DATE} .",
    "Senator {PER} criticised the plan .",
    "Workers at {ORG} went on strike on {DATE} .",
    "The road between {LOC} and {LOC} is closed .",
    "Local farmers told {PER} that the harvest had failed .",
    "When did {ORG} move its headquarters to {LOC} ?",
    "Everyone in {LOC} knows the story of {PER} .",
    "It was {PER} who first described the disease .",
)
_SLOT = re.compile(r"^\{(" + "|".join(ENTITY_TYPES) + r")\}$")


class NerTask(NamedTuple):
    """Tokenised sentences and their BIO tags: ``*_tokens`` and ``*_tags`` are lists (one entry per
    sentence) of equally long lists of str."""

    train_tokens: list
    train_tags: list
    test_tokens: list
    test_tags: list


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


def templates(split):
    """The sentence frames of ``split``: str with ``{PER}``, ``{ORG}``, ``{LOC}``, ``{DATE}`` slots
    (each slot is filled with its own draw) between whitespace-separated tokens."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return _TRAIN_TEMPLATES if split == "train" else _TEST_TEMPLATES


def fill_template(template, split, rng):
    """``(tokens, tags)`` of one sentence: ``template`` with each slot replaced by a random name of
    its type from ``split``, tagged B-/I-<TYPE>, every other token O."""
    tokens, tags = [], []
    for word in template.split():
        slot = _SLOT.match(word)
        if slot is None:
            tokens.append(word)
            tags.append("O")
            continue
        entity = random_entity(slot.group(1), split, rng)
        tokens.extend(entity)
        tags.extend([f"B-{slot.group(1)}"] + [f"I-{slot.group(1)}"] * (len(entity) - 1))
    return tokens, tags


def _sentences(split, count, rng):
    frames = templates(split)
    filled = [fill_template(frames[int(index)], split, rng) for index in rng.integers(len(frames), size=count)]
    return [tokens for tokens, _ in filled], [tags for _, tags in filled]


def make_ner_task(num_train=3000, num_test=1000, seed=0):
    """A :class:`NerTask` of ``num_train`` training and ``num_test`` test sentences drawn from the
    two splits' templates and names (disjoint in both); the same seed gives the same sentences."""
    rng = numpy.random.default_rng(seed)
    train_tokens, train_tags = _sentences("train", num_train, rng)
    test_tokens, test_tags = _sentences("test", num_test, rng)
    return NerTask(train_tokens, train_tags, test_tokens, test_tags)


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


def split_sentences(tokens, tags, test_fraction=0.2, seed=0):
    """A :class:`NerTask` from one list of sentences: a seeded random ``test_fraction`` of them (at
    least one) is the test part, the rest the training part."""
    order = numpy.random.default_rng(seed).permutation(len(tokens))
    num_test = min(max(1, round(test_fraction * len(tokens))), len(tokens) - 1)
    test, train = sorted(order[:num_test]), sorted(order[num_test:])
    return NerTask([tokens[i] for i in train], [tags[i] for i in train],
                   [tokens[i] for i in test], [tags[i] for i in test])
