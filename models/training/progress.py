"""A tqdm progress bar over epochs (or any iterable), quiet where stderr is not a terminal."""
import os


def progress(iterable, description, total=None, unit="epoch"):
    """``tqdm(iterable)`` with the examples' settings; ``bar.set_postfix(loss=...)`` shows numbers.
    ``unit`` names what one item is (epochs by default, steps, models...).

    tqdm is part of the ``examples`` extra; ``TL_PROGRESS=0`` silences the bar (used by tests)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, unit=unit, dynamic_ncols=True,
                disable=os.environ.get("TL_PROGRESS") == "0")
