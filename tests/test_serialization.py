"""Tests for tinygrad_lite/serialization.py: round trips, atomic writes, safe loading."""
import collections
import io
import json
import os
import pathlib
import pickle
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


def test_bad_map_location(tmp_path):
    save([1], tmp_path / "a.tl")
    with pytest.raises(TypeError, match="map_location"):
        load(tmp_path / "a.tl", map_location={"cuda:0": "cpu"})


@requires_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("map_location, expected", [(None, "cpu"), ("cuda", "cuda:0")])
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
