"""Date normalisation, a sequence-to-sequence task with an exact answer: a date written in one of
many human formats ("Tuesday, 3 March 1998", "03/03/98", "3rd of March 1998", "Mar 3 '98") ->
its ISO form "1998-03-03", in character tokens.

Dates lie in 1950-2049, so a two-digit year names one century ('98 is 1998, '03 is 2003), and
every format with numbers alone uses one fixed field order per separator (day/month/year with
slashes, month-day-year with dashes, year.month.day with dots), so each source string stands for
exactly one date. The train/test split is by date: no test date appears in the training set in
any format, so the test measures reading unseen dates, not recall.
"""
import datetime
import os
from typing import NamedTuple

import numpy

import tinygrad_lite as tl

FIRST_DATE = datetime.date(1950, 1, 1)
LAST_DATE = datetime.date(2049, 12, 31)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _month(date):
    return MONTHS[date.month - 1]


def _weekday(date):
    return WEEKDAYS[date.weekday()]


def _ordinal(day):
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


DATE_FORMATS = (
    ("weekday_day_month_year", lambda d: f"{_weekday(d)}, {d.day} {_month(d)} {d.year}"),
    ("short_weekday_month_day_year", lambda d: f"{_weekday(d)[:3]}, {_month(d)[:3]} {d.day}, {d.year}"),
    ("day_month_year", lambda d: f"{d.day} {_month(d)} {d.year}"),
    ("day_short_month_year", lambda d: f"{d.day} {_month(d)[:3]} {d.year}"),
    ("month_day_year", lambda d: f"{_month(d)} {d.day}, {d.year}"),
    ("month_ordinal_year", lambda d: f"{_month(d)} {_ordinal(d.day)}, {d.year}"),
    ("ordinal_of_month_year", lambda d: f"{_ordinal(d.day)} of {_month(d)} {d.year}"),
    ("the_ordinal_of_month", lambda d: f"the {_ordinal(d.day)} of {_month(d).lower()}, {d.year}"),
    ("short_month_day_apostrophe_year", lambda d: f"{_month(d)[:3]} {d.day} '{d.year % 100:02d}"),
    ("day_month_two_digit_year", lambda d: f"{d.day} {_month(d).lower()} {d.year % 100:02d}"),
    ("dd/mm/yy", lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"),
    ("dd/mm/yyyy", lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"),
    ("mm-dd-yyyy", lambda d: f"{d.month:02d}-{d.day:02d}-{d.year}"),
    ("yyyy.m.d", lambda d: f"{d.year}.{d.month}.{d.day}"),
    ("d.m.yyyy", lambda d: f"{d.day}.{d.month}.{d.year}"),
    ("yyyy/mm/dd", lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}"),
    ("yyyymmdd", lambda d: f"{d.year}{d.month:02d}{d.day:02d}"),
    ("dd-MON-yyyy", lambda d: f"{d.day:02d}-{_month(d)[:3].upper()}-{d.year}"),
    ("iso", lambda d: d.isoformat()),
)
"""(format_name, callable(datetime.date) -> str) for every human format the task writes."""


class DateTask(NamedTuple):
    """Sources (human dates) and targets (ISO "YYYY-MM-DD"), lists of str; no test date is a
    training date."""

    train_sources: list
    train_targets: list
    test_sources: list
    test_targets: list


def make_date_task(num_train=10000, num_test=1000, seed=0, data=None):
    """The date task as a :class:`DateTask`: ``num_test`` distinct test dates and ``num_train``
    examples on the other dates of 1950-2049 (distinct while there are enough), each written in a
    format drawn uniformly from :data:`DATE_FORMATS`. The same seed gives the same task.

    ``data``: the path of the user's own UTF-8 file of ``source<TAB>target`` lines instead; it is
    split by target (a share ``num_test / (num_train + num_test)`` of the distinct targets, at
    least one, goes to the test set with all their sources)."""
    if data is not None:
        return _split_by_target(_read_pairs(data), num_test / (num_train + num_test), seed)
    rng = numpy.random.default_rng(seed)
    num_days = (LAST_DATE - FIRST_DATE).days + 1
    if not 0 < num_test < num_days or num_train < 1:
        raise ValueError(f"need num_train >= 1 and 0 < num_test < {num_days}, got {num_train}, {num_test}")
    days = rng.permutation(num_days)
    test_days, other_days = days[:num_test], days[num_test:]
    train_days = rng.choice(other_days, num_train, replace=num_train > len(other_days))
    train_sources, train_targets = _write_dates(train_days, rng)
    test_sources, test_targets = _write_dates(test_days, rng)
    return DateTask(train_sources, train_targets, test_sources, test_targets)


def _write_dates(day_offsets, rng):
    """(sources, ISO targets) for days counted from FIRST_DATE, each in a random format."""
    format_ids = rng.integers(len(DATE_FORMATS), size=len(day_offsets))
    dates = [FIRST_DATE + datetime.timedelta(days=int(offset)) for offset in day_offsets]
    sources = [DATE_FORMATS[format_id][1](date) for format_id, date in zip(format_ids, dates)]
    return sources, [date.isoformat() for date in dates]


def _read_pairs(path):
    """``[(source, target), ...]`` from a UTF-8 file of ``source<TAB>target`` lines."""
    expected = "expected lines of source<TAB>target"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"pairs file {path!r} not found ({expected})")
    with open(path, encoding="utf-8") as file:
        rows = [line.rstrip("\n").split("\t") for line in file if line.strip()]
    for number, row in enumerate(rows, 1):
        if len(row) != 2 or not row[0] or not row[1]:
            raise ValueError(f"{path!r}: non-empty line {number} is not source<TAB>target ({expected})")
    if len({target for _, target in rows}) < 2:
        raise ValueError(f"{path!r}: need at least 2 different targets to hold some out for testing")
    return [tuple(row) for row in rows]


def _split_by_target(pairs, test_share, seed):
    targets = sorted({target for _, target in pairs})
    rng = numpy.random.default_rng(seed)
    num_test = min(max(1, round(test_share * len(targets))), len(targets) - 1)
    test_targets = {targets[index] for index in rng.permutation(len(targets))[:num_test]}
    train = [pair for pair in pairs if pair[1] not in test_targets]
    test = [pair for pair in pairs if pair[1] in test_targets]
    return DateTask([s for s, _ in train], [t for _, t in train], [s for s, _ in test], [t for _, t in test])


def date_tokenizer(task):
    """A ``tl.text.CharTokenizer`` over every character of the task's sources and targets."""
    return tl.text.CharTokenizer.train([*task.train_sources, *task.train_targets,
                                        *task.test_sources, *task.test_targets])


def encode_texts(tokenizer, texts, add_bos=False, add_eos=False):
    """int64 (N, T_max) token ids of ``texts``, right-padded with ``tokenizer.pad_id``;
    ``add_bos``/``add_eos`` put ``bos_id`` before / ``eos_id`` after each text."""
    sequences = [([tokenizer.bos_id] if add_bos else []) + tokenizer.encode(text)
                 + ([tokenizer.eos_id] if add_eos else []) for text in texts]
    ids = numpy.full((len(sequences), max(map(len, sequences), default=0)), tokenizer.pad_id,
                     dtype=numpy.int64)
    for row, sequence in enumerate(sequences):
        ids[row, :len(sequence)] = sequence
    return ids
