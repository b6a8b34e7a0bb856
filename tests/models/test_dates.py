"""models/data/dates.py: the formats, one date per source string, determinism, the split by date,
the user's TSV file, the tokenizer and the padded encoding."""
import datetime

import numpy
import pytest

from models.data.dates import (DATE_FORMATS, FIRST_DATE, LAST_DATE, date_tokenizer, encode_texts,
                               make_date_task)

MARCH_3_1998 = datetime.date(1998, 3, 3)


def written(date):
    """{format name: text} of ``date``."""
    return {name: write(date) for name, write in DATE_FORMATS}


def test_at_least_15_formats_with_the_issues_examples():
    texts = written(MARCH_3_1998)
    assert len(DATE_FORMATS) >= 15 and len(texts) == len(DATE_FORMATS)
    for example in ("Tuesday, 3 March 1998", "03/03/98", "3rd of March 1998", "1998.3.3", "Mar 3 '98",
                    "1998-03-03", "March 3rd, 1998", "03-MAR-1998", "19980303"):
        assert example in texts.values()
    assert written(datetime.date(2011, 11, 11))["ordinal_of_month_year"] == "11th of November 2011"
    assert written(datetime.date(2021, 1, 22))["month_ordinal_year"] == "January 22nd, 2021"


def test_every_source_string_names_one_date():
    # Two-digit years stay unambiguous inside one century; day/month orders inside a whole year.
    assert LAST_DATE.year - FIRST_DATE.year < 100
    meaning = {}
    for year in (1950, 1998, 2003, 2049):
        day = datetime.date(year, 1, 1)
        while day.year == year:
            for text in written(day).values():
                assert meaning.setdefault(text, day) == day, text
            day += datetime.timedelta(days=1)


def test_the_task_is_deterministic_and_split_by_date():
    task = make_date_task(num_train=500, num_test=100, seed=3)
    assert task == make_date_task(num_train=500, num_test=100, seed=3)
    assert task != make_date_task(num_train=500, num_test=100, seed=4)
    assert (len(task.train_sources), len(task.train_targets), len(task.test_sources)) == (500, 500, 100)
    assert len(set(task.test_targets)) == 100  # distinct test dates
    assert not set(task.test_targets) & set(task.train_targets)
    for source, target in zip(task.train_sources + task.test_sources, task.train_targets + task.test_targets):
        date = datetime.date.fromisoformat(target)
        assert FIRST_DATE <= date <= LAST_DATE and source in written(date).values()
    assert len({source for source in task.train_sources if not source[0].isdigit()}) > 100  # formats vary


def test_the_users_tsv_is_split_by_target(tmp_path):
    path = tmp_path / "pairs.tsv"
    lines = [f"{word}{number}\t{word.upper()}" for word in ("ab", "cd", "ef", "gh", "ij") for number in range(3)]
    path.write_text("\n".join(lines) + "\n\n")
    task = make_date_task(num_train=8, num_test=2, seed=0, data=str(path))
    assert len(task.train_sources) + len(task.test_sources) == 15
    assert len(set(task.test_targets)) == 1 and not set(task.test_targets) & set(task.train_targets)
    assert all(source.startswith(target.lower()) for source, target in zip(task.test_sources, task.test_targets))
    with pytest.raises(FileNotFoundError, match="source<TAB>target"):
        make_date_task(data=str(tmp_path / "missing.tsv"))
    path.write_text("a\tb\nno tab here\n")
    with pytest.raises(ValueError, match="line 2"):
        make_date_task(data=str(path))


def test_tokenizer_and_padded_encoding():
    task = make_date_task(num_train=200, num_test=20, seed=0)
    tokenizer = date_tokenizer(task)
    ids = encode_texts(tokenizer, task.train_sources + task.test_targets)
    assert ids.dtype == numpy.int64 and ids.shape == (220, max(map(len, task.train_sources)))
    assert not (ids == tokenizer.unk_id).any()
    encoded = encode_texts(tokenizer, ["1998-03-03", "12"], add_bos=True, add_eos=True)
    assert encoded.shape == (2, 12)
    assert encoded[0, 0] == tokenizer.bos_id and encoded[0, 11] == tokenizer.eos_id
    assert encoded[1].tolist()[3:] == [tokenizer.eos_id] + [tokenizer.pad_id] * 8
    assert tokenizer.decode(encoded[0, 1:11].tolist()) == "1998-03-03"
