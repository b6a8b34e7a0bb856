"""``save`` / ``load``: checkpoints in a format that cannot run code when it is read.

A checkpoint is an uncompressed zip archive holding ``manifest.json`` (the nested structure of
dicts, lists, tuples and scalars, with a format name and version) and one ``arrays/N.npy`` per
Tensor or NumPy array, read back with ``allow_pickle=False``. There is no pickle anywhere, so
loading an untrusted file can fail but never execute anything. Saving to a path writes a
temporary file next to it (``.NAME.PID.RANDOM.tmp``), fsyncs it and renames it over the target,
so a crash mid-save leaves the previous checkpoint intact; the next save of that target deletes
the temporary files such crashes left (see :func:`_remove_stale_temp_files`).

Loading puts each tensor back on the device it was saved from, as ``torch.load`` does, unless
``map_location`` says otherwise.

Manifest nodes: JSON ``null``/booleans/numbers/strings stand for themselves; every other value
is a one-key object: ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}``
(keys keep their type: int keys stay ints), ``{"odict": ...}`` for OrderedDict, ``{"float":
"nan"|"inf"|"-inf"}``, ``{"tensor": member, "requires_grad": bool, "device": str}``,
``{"ndarray": member}`` and ``{"scalar": member}`` for NumPy scalars.
"""
import collections
import contextlib
import errno
import io
import json
import math
import os
import re
import tempfile
import time
import zipfile
import zlib

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.backend import CPU, _parse_device, device as Device, to_device_array
from tinygrad_lite.tensor import Tensor

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_NAME = "tinygrad_lite.checkpoint"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_KEY_TYPES = (type(None), bool, int, float, str, tuple)
_PICKLE_HINT = ("tinygrad_lite never unpickles files (unpickling can run arbitrary code); "
                "re-save the data with tinygrad_lite.save")
# A save writes its temporary file continuously, so one nobody has written to for this long is
# abandoned once its writer process is gone; after the second delay it is abandoned whatever the
# pid says (the pid may have been reused, or belong to another machine sharing the directory).
_ABANDONED_AFTER_SECONDS = 10 * 60
_EXPIRED_AFTER_SECONDS = 24 * 60 * 60


def _current_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_current_umask()  # what open() would give a new file


def _write_array(archive, name, array):
    """Store ``array`` as the ``.npy`` member ``name`` (never pickled)."""
    with archive.open(name, "w", force_zip64=True) as handle:
        numpy.lib.format.write_array(handle, numpy.asarray(array), allow_pickle=False)


class _Encoder:
    """Walks the object, writing arrays into the archive and returning the JSON manifest node."""

    def __init__(self, archive):
        self.archive = archive
        self.members = {}  # id(array owner) -> member name, so a shared tensor is stored once
        self.keep_alive = []  # holds encoded objects so their ids stay unique during the walk
        self.open_containers = set()

    def _array_member(self, owner, array, where):
        member = self.members.get(id(owner))
        if member is None:
            if array.dtype.hasobject or array.dtype.kind not in "biufc":
                raise TypeError(f"save: cannot store an array of dtype {array.dtype} at {where} "
                                f"(only numeric and bool arrays)")
            member = f"arrays/{len(self.members)}.npy"
            _write_array(self.archive, member, array)
            self.members[id(owner)] = member
            self.keep_alive.append(owner)
        return member

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
        if isinstance(value, Tensor):
            member = self._array_member(value, value.numpy(force=True), where)
            return {"tensor": member, "requires_grad": bool(value.requires_grad),
                    "device": str(value.device)}
        if isinstance(value, numpy.ndarray):
            return {"ndarray": self._array_member(value, value, where)}
        if isinstance(value, numpy.generic):
            return {"scalar": self._array_member(value, numpy.asarray(value), where)}
        if isinstance(value, (list, tuple, dict)):
            return self._encode_container(value, where)
        device_array = getattr(value, "get", None)
        if type(value).__module__.startswith("cupy") and device_array is not None:
            return {"ndarray": self._array_member(value, device_array(), where)}
        raise TypeError(f"save: cannot store a value of type {type(value).__name__} at {where}; "
                        f"supported: dict, list, tuple, Tensor, numpy array, int, float, bool, "
                        f"str, None")

    def _encode_container(self, value, where):
        if id(value) in self.open_containers:
            raise ValueError(f"save: {where} contains itself; cyclic structures cannot be saved")
        self.open_containers.add(id(value))
        try:
            if isinstance(value, dict):
                pairs = []
                for key, item in value.items():
                    if not isinstance(key, _KEY_TYPES):
                        raise TypeError(f"save: dict key {key!r} at {where} has type "
                                        f"{type(key).__name__}; keys must be str, int, float, "
                                        f"bool, None or tuples of those")
                    pairs.append([self.encode(key, f"{where} key"),
                                  self.encode(item, f"{where}[{key!r}]")])
                return {"odict" if isinstance(value, collections.OrderedDict) else "dict": pairs}
            items = [self.encode(item, f"{where}[{position}]")
                     for position, item in enumerate(value)]
            return {"tuple" if isinstance(value, tuple) else "list": items}
        finally:
            self.open_containers.discard(id(value))


def _write_archive(obj, handle):
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        root = _Encoder(archive).encode(obj, "obj")
        manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
        archive.writestr(_MANIFEST, json.dumps(manifest, allow_nan=False))


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _writer_may_be_running(pid):
    """False only when process ``pid`` certainly no longer runs on this machine."""
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same target
    if os.name != "posix" or pid <= 0:
        return True  # no safe probe: on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # e.g. PermissionError: the process exists but belongs to another user
    return True


def _remove_stale_temp_files(directory, basename):
    """Delete the ``.BASENAME.PID.RANDOM.tmp`` files that killed saves of this target left.

    Only this target's temporary files, and only stale ones: not written to for
    ``_ABANDONED_AFTER_SECONDS`` with process PID gone, or for ``_EXPIRED_AFTER_SECONDS``. A
    save still in progress keeps writing to its file, so it is never one of them. Best effort:
    a file that vanishes or cannot be removed is left to the next save.
    """
    pattern = re.compile(re.escape(f".{basename}.") + r"(\d+)\.[a-z0-9_]+\.tmp")
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                idle = now - entry.stat(follow_symlinks=False).st_mtime
                if idle > _EXPIRED_AFTER_SECONDS or (
                        idle > _ABANDONED_AFTER_SECONDS
                        and not _writer_may_be_running(int(match.group(1)))):
                    os.unlink(entry.path)


def save(obj, f):
    """Write ``obj`` (nested dict/list/tuple of Tensors, NumPy arrays, numbers, str, None) to ``f``.

    ``f`` is a path (str or ``os.PathLike``) or a writable binary file object. Typical objects
    are ``model.state_dict()`` and ``optimizer.state_dict()``. CUDA tensors are stored from host
    copies; dtypes, int dict keys, tuples and OrderedDicts survive the round trip, and a tensor
    appearing twice is stored once and loaded as one object. Writing to a path is atomic: the
    old file stays intact if the save fails midway, and the temporary files that killed saves of
    the same path left behind are deleted.
    """
    if hasattr(f, "write"):
        _write_archive(obj, f)
        return
    write_atomically(f, lambda handle: _write_archive(obj, handle))


def write_atomically(path, write):
    """Call ``write(binary_handle)`` on a temporary file beside ``path``, then rename it over
    ``path``: the old file stays intact if writing fails midway, and temporary files that killed
    writes of the same path left behind are deleted. The new file keeps the old one's mode."""
    path = os.fspath(path)
    directory, basename = os.path.split(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = _NEW_FILE_MODE
    _remove_stale_temp_files(directory, basename)
    descriptor, temp_path = tempfile.mkstemp(prefix=f".{basename}.{os.getpid()}.", suffix=".tmp",
                                             dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise
    _fsync_directory(directory)


class _PlacementError(Exception):
    """Carries an error from placing a tensor (a missing device, the user's ``map_location``
    callable) past ``load``'s handling of corrupt files, as its ``__cause__``."""


class _Decoder:
    """Rebuilds the object from manifest nodes, reading each array member once."""

    def __init__(self, archive, placement, name):
        self.archive, self.placement, self.name = archive, placement, name
        self.loaded = {}

    def _read(self, member):
        if not isinstance(member, str) or member not in self.archive.NameToInfo:
            raise ValueError(f"{self.name}: corrupt checkpoint: manifest names a missing array "
                             f"{member!r}")
        with self.archive.open(member) as handle:
            return numpy.lib.format.read_array(handle, allow_pickle=False)

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, dict) and len(node) >= 1:
            tag = next(iter(node))
            body = node[tag]
            if tag == "list" and isinstance(body, list):
                return [self.decode(item) for item in body]
            if tag == "tuple" and isinstance(body, list):
                return tuple(self.decode(item) for item in body)
            if tag in ("dict", "odict") and isinstance(body, list):
                result = collections.OrderedDict() if tag == "odict" else {}
                for pair in body:
                    if not isinstance(pair, list) or len(pair) != 2:
                        break
                    result[self.decode(pair[0])] = self.decode(pair[1])
                else:
                    return result
            if tag == "float" and body in ("nan", "inf", "-inf"):
                return float(body)
            if tag in ("tensor", "ndarray", "scalar"):
                return self._decode_array(tag, body, node)
        raise ValueError(f"{self.name}: corrupt checkpoint: unrecognised manifest entry "
                         f"{str(node)[:80]}")

    def _decode_array(self, tag, member, node):
        key = (tag, member)
        if key in self.loaded:
            return self.loaded[key]
        array = self._read(member)
        if tag == "scalar":
            value = array[()]
        elif tag == "ndarray":
            value = array
        else:
            if array.dtype not in dtypes.SUPPORTED:
                raise ValueError(f"{self.name}: corrupt checkpoint: tensor {member} has "
                                 f"unsupported dtype {array.dtype}")
            location = node.get("device", "cpu")
            if not isinstance(location, str):
                raise ValueError(f"{self.name}: corrupt checkpoint: tensor {member} has device "
                                 f"{location!r}")
            try:
                value = self.placement.tensor(array, location)
            except Exception as exc:
                raise _PlacementError() from exc
            if node.get("requires_grad") is True and array.dtype.kind == "f":
                value.requires_grad = True
        self.loaded[key] = value
        return value


def _source_name(f):
    if hasattr(f, "read"):
        return str(getattr(f, "name", f"<{type(f).__name__}>"))
    return os.fspath(f)


def _open_checkpoint_file(path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "tl.load: no checkpoint file at this path",
                                path) from None


def _open_archive(handle, name):
    start = handle.tell()
    head = handle.read(4)
    handle.seek(start)
    if not head:
        raise ValueError(f"{name}: not a tinygrad_lite checkpoint: the file is empty")
    if head[:1] == b"\x80":
        raise ValueError(f"{name}: this is a pickle file, not a tinygrad_lite checkpoint; "
                         + _PICKLE_HINT)
    if head[:2] != b"PK":
        raise ValueError(f"{name}: not a tinygrad_lite checkpoint (no zip header)")
    try:
        archive = zipfile.ZipFile(handle, "r")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{name}: truncated or corrupt checkpoint ({exc})") from None
    if _MANIFEST not in archive.NameToInfo:
        names = archive.namelist()
        archive.close()
        if any(member.endswith("data.pkl") for member in names):
            raise ValueError(f"{name}: this is a PyTorch (torch.save) checkpoint, which stores "
                             f"pickles; " + _PICKLE_HINT)
        raise ValueError(f"{name}: not a tinygrad_lite checkpoint (no {_MANIFEST} in the archive)")
    return archive


def _read_manifest(archive, name):
    try:
        manifest = json.loads(archive.read(_MANIFEST).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error, RecursionError) as exc:
        raise ValueError(f"{name}: corrupt checkpoint manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ValueError(f"{name}: not a tinygrad_lite checkpoint (manifest format "
                         f"{manifest.get('format') if isinstance(manifest, dict) else None!r})")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{name}: corrupt checkpoint manifest (version {version!r})")
    if version > FORMAT_VERSION:
        raise ValueError(f"{name}: checkpoint format version {version} is newer than this "
                         f"tinygrad_lite reads (up to {FORMAT_VERSION}); upgrade tinygrad_lite")
    if "root" not in manifest:
        raise ValueError(f"{name}: corrupt checkpoint manifest (no root entry)")
    return manifest


def _location_name(spec, what):
    """``spec`` (a device string or ``tl.device``) as a canonical name: ``cpu`` or ``cuda:N``."""
    if isinstance(spec, Device):
        return str(spec)
    try:
        kind, index = _parse_device(spec, None)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what}: {exc}") from None
    return f"cuda:{index}" if kind == "cuda" else "cpu"


class _Placement:
    """Where each loaded tensor goes, by PyTorch's ``map_location`` rules.

    None: back to the device it was saved from. A device string or ``tl.device``: there. A dict
    ``{saved: target}`` of device names: saved devices it names go to their target, the rest
    back where they were saved. A callable ``(cpu_tensor, saved_device_name)``: its returned
    Tensor, or, when it returns None, the saved device.
    """

    def __init__(self, map_location, name):
        self.name, self.fixed, self.remap, self.function = name, None, {}, None
        self.devices = {}
        if isinstance(map_location, (str, Device)):
            self.fixed = Device(map_location)
        elif isinstance(map_location, dict):
            self.remap = {_location_name(saved, "map_location key"):
                          _location_name(target, f"map_location[{saved!r}]")
                          for saved, target in map_location.items()}
        elif callable(map_location):
            self.function = map_location
        elif map_location is not None:
            raise TypeError(f"map_location must be None, a device string like 'cpu' / 'cuda:0', "
                            f"a tl.device, a dict of device names or a callable; got "
                            f"{type(map_location).__name__}")

    def tensor(self, array, location):
        """A Tensor holding ``array`` (read on the CPU) on its device for ``location``."""
        if self.function is not None:
            placed = self.function(Tensor._make(array, CPU, False, None), location)
            if placed is not None:
                if not isinstance(placed, Tensor):
                    raise TypeError(f"map_location callable returned "
                                    f"{type(placed).__name__}; expected a Tensor or None")
                return placed
        target = self.fixed or self._restored_device(self.remap.get(location, location))
        if target.type != "cpu":
            array = to_device_array(array, target)
        return Tensor._make(array, target, False, None)

    def _restored_device(self, location):
        device = self.devices.get(location)
        if device is None:
            try:
                _parse_device(location, None)
            except ValueError as exc:
                raise ValueError(f"{self.name}: corrupt checkpoint ({exc})") from None
            try:
                device = Device(location)
            except RuntimeError as exc:
                raise RuntimeError(
                    f"{self.name}: this checkpoint holds tensors saved on {location}, which is "
                    f"not available here ({exc}). On a CPU-only machine, load it with "
                    f"tl.load(..., map_location='cpu') to put them on the CPU (or map them to "
                    f"an existing device)."
                ) from None
            self.devices[location] = device
        return device


def load(f, map_location=None, *, weights_only=True):
    """Read an object written by :func:`save` from a path or a readable binary file object.

    Tensors go back to the device they were saved from, as in PyTorch: a checkpoint saved on
    ``cuda:0`` raises RuntimeError on a machine without that device unless ``map_location``
    maps it elsewhere. ``map_location`` as in ``torch.load``: a device (``'cpu'``, ``'cuda:1'``,
    a ``tl.device``) for every tensor, a dict remapping saved device names
    (``{'cuda:1': 'cuda:0'}``), or a callable ``(cpu_tensor, saved_device_name)`` returning the
    Tensor to use (None: the saved device). NumPy arrays come back as NumPy arrays.
    ``weights_only`` is accepted for PyTorch compatibility: loading is always data-only. A
    missing file raises FileNotFoundError, a truncated, corrupt, pickled or newer-format file
    ValueError, each naming the file.
    """
    del weights_only  # nothing but data can ever be loaded
    name = _source_name(f)
    placement = _Placement(map_location, name)
    with contextlib.ExitStack() as stack:
        if hasattr(f, "read"):
            handle = f
            if not (hasattr(f, "seekable") and f.seekable()):
                handle = io.BytesIO(f.read())
        else:
            handle = stack.enter_context(_open_checkpoint_file(name))
        archive = stack.enter_context(_open_archive(handle, name))
        manifest = _read_manifest(archive, name)
        try:
            return _Decoder(archive, placement, name).decode(manifest["root"])
        except _PlacementError as failure:
            raise failure.__cause__ from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, RecursionError) as exc:
            raise ValueError(f"{name}: truncated or corrupt checkpoint ({exc})") from None
        except (ValueError, TypeError) as exc:
            if isinstance(exc, ValueError) and str(exc).startswith(name):
                raise
            raise ValueError(f"{name}: corrupt checkpoint ({exc})") from None
