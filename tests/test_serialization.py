"""Tests for tinygrad_lite/serialization.py: round trips, atomic writes, safe loading, devices."""
import collections
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_cuda, requires_torch, torch
from tinygrad_lite import serialization
from tinygrad_lite.serialization import FORMAT_VERSION, load, save


def _state():
    """A nested checkpoint like {'model': state_dict, 'optimizer': state_dict, ...}."""
    rng = numpy.random.default_rng(0)
    model = collections.OrderedDict()
    model["linear.weight"] = tl.tensor(rng.standard_normal((3, 4)).astype(numpy.float32))
    model["linear.bias"] = tl.tensor(rng.standard_normal(3))  # float64
    model["norm.num_batches_tracked"] = tl.tensor(7)  # 0-d int64
    model["mask"] = tl.tensor([True, False, True])
    model["half"] = tl.tensor([1.5, -2.25], dtype=tl.float16)
    model["codes"] = tl.tensor([1, 255, 0], dtype=tl.uint8)
    optimizer = {
        "state": {0: {"step": 3, "momentum_buffer": tl.tensor([0.25, -0.5], dtype=tl.float32)},
                  1: {"step": numpy.int64(4), "exp_avg": numpy.arange(4, dtype=numpy.int32)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                          "foreach": None, "params": [0, 1], "name": "main"}],
    }
    extras = {"epoch": 12, "best": float("inf"), "worst": float("-inf"), "big": 2 ** 70,
              "empty": {}, "nothing": [], "unit": (), (1, "a"): "tuple key", 2.5: "float key",
              None: "none key", True: "bool key", "transposed": numpy.arange(6.0).reshape(2, 3).T,
              "scalar": numpy.float32(0.125)}
    return {"model": model, "optimizer": optimizer, "extras": extras}


def _assert_same(loaded, original, where="obj"):
    """Exact equality of values, types and dtypes, recursively."""
    if isinstance(original, tl.Tensor):
        assert isinstance(loaded, tl.Tensor), where
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        numpy.testing.assert_array_equal(loaded.numpy(force=True), original.numpy(force=True))
    elif isinstance(original, (numpy.ndarray, numpy.generic)):
        assert type(loaded) is type(original) and loaded.dtype == original.dtype, where
        numpy.testing.assert_array_equal(loaded, original)
    elif isinstance(original, dict):
        assert type(loaded) is type(original), where
        assert list(loaded.keys()) == list(original.keys()), where
        for key in original:
            assert type(next(k for k in loaded if k == key)) is type(key), where
            _assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, (list, tuple)):
        assert type(loaded) is type(original) and len(loaded) == len(original), where
        for position, (item, reference) in enumerate(zip(loaded, original)):
            _assert_same(item, reference, f"{where}[{position}]")
    else:
        assert type(loaded) is type(original) and loaded == original, where


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
def test_round_trip_nested_state(tmp_path, as_path):
    state = _state()
    target = as_path(tmp_path / "checkpoint.tl")
    save(state, target)
    loaded = load(target)
    _assert_same(loaded, state)
    assert set(loaded["optimizer"]["state"]) == {0, 1}  # int keys stay ints
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert os.listdir(tmp_path) == ["checkpoint.tl"]


def test_nan_round_trips(tmp_path):
    save({"loss": float("nan")}, tmp_path / "nan.tl")
    assert numpy.isnan(load(tmp_path / "nan.tl")["loss"])


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    save(_state(), buffer)
    buffer.seek(0)
    _assert_same(load(buffer), _state())

    class Stream:  # readable but not seekable, like a pipe
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def read(self, size=-1):
            return self.inner.read(size)

        def seekable(self):
            return False

    _assert_same(load(Stream(buffer.getvalue())), _state())
    with open(tmp_path / "handle.tl", "wb") as handle:
        save([1, 2], handle)
    with open(tmp_path / "handle.tl", "rb") as handle:
        assert load(handle) == [1, 2]


def test_shared_tensor_is_stored_once(tmp_path):
    weight = tl.randn(50, 50)
    save({"encoder": weight, "decoder": weight}, tmp_path / "tied.tl")
    loaded = load(tmp_path / "tied.tl")
    assert loaded["encoder"] is loaded["decoder"]
    with zipfile.ZipFile(tmp_path / "tied.tl") as archive:
        assert sum(name.endswith(".npy") for name in archive.namelist()) == 1


def test_requires_grad_and_cpu_placement(tmp_path):
    weight = tl.randn(2, 2, requires_grad=True)
    save({"w": weight, "d": weight.detach() * 2.0}, tmp_path / "grad.tl")
    loaded = load(tmp_path / "grad.tl", map_location="cpu")
    assert loaded["w"].requires_grad and loaded["w"].is_leaf and not loaded["d"].requires_grad
    assert loaded["w"].device == "cpu"


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_model_and_optimizer_resume_exactly(tmp_path, dtype):
    def make():
        tl.manual_seed(1)
        model = tl.nn.Linear(3, 2).to(dtype)
        return model, tl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(model, optimizer, inputs):
        optimizer.zero_grad()
        (model(inputs) ** 2).sum().backward()
        optimizer.step()

    inputs = tl.tensor(numpy.random.default_rng(2).standard_normal((4, 3)), dtype=dtype)
    model, optimizer = make()
    step(model, optimizer, inputs)
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "run.tl")
    step(model, optimizer, inputs)

    checkpoint = load(tmp_path / "run.tl")
    restored, restored_optimizer = make()
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    step(restored, restored_optimizer, inputs)
    for (name, mine), (_, reference) in zip(restored.state_dict().items(),
                                            model.state_dict().items()):
        assert mine.dtype == dtype, name
        numpy.testing.assert_array_equal(mine.numpy(), reference.numpy(), err_msg=name)


def test_interrupted_save_keeps_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.tl"
    save({"version": 1, "w": tl.ones(3)}, path)
    before = path.read_bytes()
    real_write = serialization._write_array
    calls = []

    def failing_write(archive, name, array):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        real_write(archive, name, array)

    monkeypatch.setattr(serialization, "_write_array", failing_write)
    with pytest.raises(OSError, match="simulated"):
        save({"version": 2, "a": tl.zeros(1000), "b": tl.zeros(1000)}, path)
    assert calls == ["arrays/0.npy", "arrays/1.npy"]
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.tl"]  # no temporary file left behind
    monkeypatch.undo()
    assert load(path)["version"] == 1


def test_save_keeps_permissions_of_existing_file(tmp_path):
    path = tmp_path / "perm.tl"
    save([1], path)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~serialization._current_umask()
    os.chmod(path, 0o640)
    save([2], path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and load(path) == [2]


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_raises_value_error(tmp_path, keep):
    path = tmp_path / "full.tl"
    save(_state(), path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.tl"
    truncated.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"truncated\.tl: truncated or corrupt"):
        load(truncated)


def test_refuses_pickle_without_running_it(tmp_path):
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"weights": Payload()}))
    with pytest.raises(ValueError, match=r"evil\.pkl: this is a pickle file"):
        load(path)
    assert not marker.exists()


@requires_torch
def test_refuses_torch_checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match=r"model\.pt: this is a PyTorch"):
        load(path)


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"hello, not a checkpoint", "no zip header"),
])
def test_refuses_non_checkpoint_files(tmp_path, content, message):
    path = tmp_path / "other.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"other\.bin: .*{message}"):
        load(path)


def _write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _manifest(**fields):
    manifest = {"format": "tinygrad_lite.checkpoint", "version": FORMAT_VERSION, "root": 1}
    manifest.update(fields)
    return json.dumps(manifest)


@pytest.mark.parametrize("members, message", [
    ({"readme.txt": "hi"}, "no manifest.json"),
    ({"manifest.json": "{not json"}, "corrupt checkpoint manifest"),
    ({"manifest.json": _manifest(format="something.else")}, "not a tinygrad_lite checkpoint"),
    ({"manifest.json": _manifest(version=FORMAT_VERSION + 1)}, "version 2 is newer"),
    ({"manifest.json": _manifest(root={"tensor": "arrays/9.npy"})}, "missing array"),
    ({"manifest.json": _manifest(root={"mystery": 1})}, "unrecognised manifest entry"),
])
def test_bad_archives_raise_value_error(tmp_path, members, message):
    path = tmp_path / "bad.tl"
    _write_zip(path, members)
    with pytest.raises(ValueError, match=rf"bad\.tl: .*{message}"):
        load(path)


def test_object_array_inside_archive_is_refused(tmp_path):
    buffer = io.BytesIO()
    numpy.save(buffer, numpy.array([{"a": 1}], dtype=object), allow_pickle=True)
    path = tmp_path / "objects.tl"
    _write_zip(path, {"manifest.json": _manifest(root={"ndarray": "arrays/0.npy"}),
                      "arrays/0.npy": buffer.getvalue()})
    with pytest.raises(ValueError, match=r"objects\.tl: corrupt checkpoint"):
        load(path)


@pytest.mark.parametrize("obj, error, message", [
    ({"f": lambda x: x}, TypeError, r"function at obj\['f'\]"),
    ({"ok": [1, {2}]}, TypeError, r"set at obj\['ok'\]\[1\]"),
    ({tl.ones(1): 1}, TypeError, "dict key"),
    ({"text": numpy.array(["a", "b"])}, TypeError, "dtype <U1"),
])
def test_unsupported_values_raise_and_leave_no_file(tmp_path, obj, error, message):
    with pytest.raises(error, match=message):
        save(obj, tmp_path / "nope.tl")
    assert os.listdir(tmp_path) == []


def test_cyclic_structure_raises(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, tmp_path / "loop.tl")


@pytest.mark.parametrize("map_location, message", [
    (3, "map_location must be None, a device string"),
    ({"gpu": "cpu"}, "map_location key: unknown device 'gpu'"),
    ({"cuda:0": 5}, r"map_location\['cuda:0'\]: device must be a string"),
])
def test_bad_map_location(tmp_path, map_location, message):
    save([1], tmp_path / "a.tl")
    with pytest.raises((TypeError, ValueError), match=message):
        load(tmp_path / "a.tl", map_location=map_location)


def test_missing_file_raises_file_not_found_naming_the_path(tmp_path):
    path = tmp_path / "never_saved.tl"
    with pytest.raises(FileNotFoundError, match=r"tl\.load: no checkpoint file at this path: "
                                                r"'.*never_saved\.tl'") as caught:
        load(path)
    assert caught.value.filename == str(path)


def _saved_on(path, location):
    """Rewrite the checkpoint at ``path`` as if its tensors had been saved on ``location``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])

    def relocate(node):
        if isinstance(node, dict):
            if "tensor" in node:
                node["device"] = location
            for value in node.values():
                relocate(value)
        elif isinstance(node, list):
            for value in node:
                relocate(value)

    relocate(manifest)
    members["manifest.json"] = json.dumps(manifest)
    _write_zip(path, members)
    return path


@pytest.fixture
def checkpoint_from_absent_gpu(tmp_path):
    """A checkpoint whose tensors were saved on cuda:7, a device no test machine has."""
    weight = tl.tensor([[1.0, -2.0]], requires_grad=True)
    save({"weight": weight, "tied": weight, "steps": tl.tensor(3)}, tmp_path / "gpu7.tl")
    return _saved_on(tmp_path / "gpu7.tl", "cuda:7")


def test_missing_saved_device_asks_for_map_location(checkpoint_from_absent_gpu):
    """PyTorch restores the saved device; where it does not exist it says to map to the CPU."""
    with pytest.raises(RuntimeError, match=r"gpu7\.tl: this checkpoint holds tensors saved on "
                                           r"cuda:7, which is not available here .*"
                                           r"map_location='cpu'"):
        load(checkpoint_from_absent_gpu)


@pytest.mark.parametrize("map_location", [
    "cpu", tl.device("cpu"), {"cuda:7": "cpu"}, {"cuda:7": tl.device("cpu"), "cuda:1": "cpu"},
    lambda storage, location: storage,
])
def test_map_location_forms_as_in_pytorch(checkpoint_from_absent_gpu, map_location):
    loaded = load(checkpoint_from_absent_gpu, map_location=map_location)
    assert loaded["weight"].device == "cpu" and loaded["steps"].device == "cpu"
    assert loaded["weight"].tolist() == [[1.0, -2.0]] and loaded["steps"].item() == 3
    assert loaded["weight"].requires_grad and loaded["weight"].is_leaf
    assert loaded["tied"] is loaded["weight"]


def test_map_location_callable_sees_each_tensor_and_its_saved_device(checkpoint_from_absent_gpu):
    seen = []

    def to_float64_on_cpu(storage, location):
        seen.append((storage.device, location, storage.dtype))
        return storage.double() if storage.dtype == tl.float32 else storage

    loaded = load(checkpoint_from_absent_gpu, map_location=to_float64_on_cpu)
    assert seen == [("cpu", "cuda:7", tl.float32), ("cpu", "cuda:7", tl.int64)]
    assert loaded["weight"].dtype == tl.float64 and loaded["weight"].requires_grad


@pytest.mark.parametrize("map_location, error, message", [
    ({"cuda:1": "cpu"}, RuntimeError, "saved on cuda:7, which is not available"),
    (lambda storage, location: None, RuntimeError, "saved on cuda:7, which is not available"),
    (lambda storage, location: "cpu", TypeError, "callable returned str; expected a Tensor"),
    (lambda storage, location: {}["boom"], KeyError, "boom"),
])
def test_map_location_falls_back_or_fails_clearly(checkpoint_from_absent_gpu, map_location,
                                                  error, message):
    """Unmapped devices and None from the callable mean the saved device; the callable's own
    errors reach the caller unchanged (not reported as a corrupt file)."""
    with pytest.raises(error, match=message):
        load(checkpoint_from_absent_gpu, map_location=map_location)


def test_unknown_saved_device_is_a_corrupt_checkpoint(tmp_path):
    save([tl.ones(1)], tmp_path / "odd.tl")
    with pytest.raises(ValueError, match=r"odd\.tl: corrupt checkpoint .*unknown device 'tpu:0'"):
        load(_saved_on(tmp_path / "odd.tl", "tpu:0"))


@pytest.mark.parametrize("device", DEVICES)
def test_tensors_return_to_their_saved_device(tmp_path, device):
    save({"w": tl.arange(3.0, device=device)}, tmp_path / "here.tl")
    assert load(tmp_path / "here.tl")["w"].device == device
    assert load(tmp_path / "here.tl", map_location="cpu")["w"].device == "cpu"
    assert load(tmp_path / "here.tl", map_location={device: "cpu"})["w"].device == "cpu"


def _dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def _leave_temp_file(directory, name, idle_seconds):
    path = directory / name
    path.write_bytes(b"partial checkpoint")
    then = time.time() - idle_seconds
    os.utime(path, (then, then))
    return path


def test_next_save_removes_what_a_killed_save_left(tmp_path):
    """End to end: a process dies mid-save; once its temp file is stale, the next save of the
    same target deletes it, and the checkpoint itself is untouched throughout."""
    path = tmp_path / "model.tl"
    save({"version": 1}, path)
    script = textwrap.dedent(f"""
        import os
        from tinygrad_lite import serialization

        def die_mid_write(obj, handle):
            handle.write(b"half a checkpoint")
            handle.flush()
            os._exit(9)  # as if killed: no cleanup runs

        serialization._write_archive = die_mid_write
        serialization.save({{"version": 2}}, {str(path)!r})
    """)
    child = subprocess.run([sys.executable, "-c", script], check=False)
    assert child.returncode == 9
    leftovers = [name for name in os.listdir(tmp_path) if name != "model.tl"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.tl.") and \
        leftovers[0].endswith(".tmp")
    save({"version": 3}, path)  # too recent to be called abandoned: kept
    assert sorted(os.listdir(tmp_path)) == sorted(["model.tl"] + leftovers)
    stale = time.time() - serialization._ABANDONED_AFTER_SECONDS - 60
    os.utime(tmp_path / leftovers[0], (stale, stale))
    save({"version": 4}, path)
    assert os.listdir(tmp_path) == ["model.tl"] and load(path) == {"version": 4}


@pytest.mark.parametrize("writer, idle, removed", [
    ("dead", "abandoned", True),
    ("dead", "recent", False),  # perhaps a writer on another machine sharing the directory
    ("this process", "abandoned", False),  # another thread may be saving right now
    ("parent process", "abandoned", False),  # a live process: it may still be writing
    ("parent process", "expired", True),  # a day without a write: the pid was reused
    ("this process", "expired", True),
])
def test_stale_temp_files_are_judged_by_writer_and_age(tmp_path, writer, idle, removed):
    pid = {"dead": _dead_pid(), "this process": os.getpid(), "parent process": os.getppid()}[writer]
    seconds = {"recent": 5, "abandoned": serialization._ABANDONED_AFTER_SECONDS + 60,
               "expired": serialization._EXPIRED_AFTER_SECONDS + 60}[idle]
    temp = _leave_temp_file(tmp_path, f".model.tl.{pid}.k2x_9abc.tmp", seconds)
    save([1], tmp_path / "model.tl")
    assert temp.exists() is not removed
    assert load(tmp_path / "model.tl") == [1]


@pytest.mark.parametrize("name", [
    ".model.tl.tmp",  # no pid: not ours to judge
    ".other.tl.{pid}.abcdefgh.tmp",  # another target's
    ".model.tl.v2.{pid}.abcdefgh.tmp",  # the temp file of target "model.tl.v2"
    ".model.{pid}.abcdefgh.tmp",  # the temp file of target "model"
    ".model.tl.{pid}.abcdefgh.tmp.keep",
    "model.tl.{pid}.abcdefgh.tmp",
])
def test_other_files_are_never_touched(tmp_path, name):
    kept = _leave_temp_file(tmp_path, name.format(pid=_dead_pid()),
                            serialization._EXPIRED_AFTER_SECONDS + 60)
    save([1], tmp_path / "model.tl")
    assert kept.exists()


def test_temp_file_name_holds_the_writer_pid(tmp_path, monkeypatch):
    names = []
    real_write = serialization._write_archive

    def spy(obj, handle):
        names.extend(os.listdir(tmp_path))  # the temporary file exists while it is written
        real_write(obj, handle)

    monkeypatch.setattr(serialization, "_write_archive", spy)
    save([1], tmp_path / "model.tl")
    assert len(names) == 1
    assert names[0].startswith(f".model.tl.{os.getpid()}.") and names[0].endswith(".tmp")


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("map_location, expected", [(None, "cuda:0"), ("cuda", "cuda:0"),
                                                   ("cpu", "cpu"), ({"cuda:0": "cpu"}, "cpu")])
def test_cuda_tensors(tmp_path, map_location, expected):
    state = {"w": tl.randn(3, 2, device="cuda"), "n": tl.tensor([1, 2], device="cuda")}
    save(state, tmp_path / "gpu.tl")
    loaded = load(tmp_path / "gpu.tl", map_location=map_location)
    for key in state:
        assert loaded[key].device == expected and loaded[key].dtype == state[key].dtype
        numpy.testing.assert_array_equal(loaded[key].numpy(force=True),
                                         state[key].numpy(force=True))


@pytest.mark.parametrize("device", DEVICES)
def test_map_location_moves_cpu_checkpoint(tmp_path, device):
    save({"w": tl.arange(4.0)}, tmp_path / "cpu.tl")
    loaded = load(tmp_path / "cpu.tl", map_location=device)["w"]
    assert loaded.device == device and loaded.dtype == tl.float32
    assert loaded.tolist() == [0.0, 1.0, 2.0, 3.0]
