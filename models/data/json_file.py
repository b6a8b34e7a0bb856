"""JSON files written atomically: a temporary file beside the target, renamed over it, so an
interrupted run or a concurrent reader never sees half a file."""
import json
import os
import tempfile


def write_json(path, value, default=None):
    """Write ``value`` as JSON to ``path`` (``default`` converts what JSON cannot hold)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    descriptor, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=1, default=default)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise
