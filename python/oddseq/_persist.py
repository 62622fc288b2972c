"""A fitted model on disk: versioned arrays + JSON, never pickle.

``model.save(path)`` writes and :func:`load` reads a ``.oddseq`` file (the documented
extension): a zip archive (an ``.npz`` that :func:`numpy.load` also opens) holding

``oddseq.json``
    ``{"format": "oddseq-model", "format_version": 1, "oddseq_version": "...",
    "model": ...}``: every parameter, scalar and nested structure of the model as
    tagged JSON (strict JSON: no NaN literals, non-finite floats are tagged).
``arrays/<n>.npy``
    every numeric or string array, in NumPy's ``.npy`` format, read back with
    ``allow_pickle=False``.

Nothing in the file is executed on load. Objects are rebuilt only from classes defined
in oddseq's own modules (never ``oddseq._core``), without calling ``__init__``; their
fitted state is set through the estimator's ``_from_state`` (or ``__setstate__``), which
is oddseq's code. A file whose JSON names any other class is refused.

How an estimator declares its state: ``_state() -> dict`` (arrays and JSON-able values,
nested estimators allowed) and ``_from_state(state)``. :class:`SaveMixin` (the base of
every detector, encoder, scaler, clusterer, index and of AnomalyPipeline) defines both
as what pickle saves and restores: ``__getstate__`` (the ``__dict__``: parameters and
every fitted attribute, private ones included, so a new fitted attribute is saved
without further code) and ``__setstate__``. Helper objects without the pair (oddseq
classes only) are saved the same way. Estimators that hold C++ objects drop them in
``__getstate__`` and rebuild them in ``__setstate__`` (the kd-tree of
:class:`~oddseq.cluster.NearestNeighbors` is rebuilt from its saved training matrix,
MarkovDetector's model from its saved training sequences), so saving and pickling share
one definition of the state.

Versioning rule: ``format_version`` is the layout of the file and of the tagged JSON;
it is bumped whenever either changes or an estimator's saved state changes in a way old
readers cannot use. A reader loads only files of its own format version and of the same
oddseq release series (major.minor): the fitted state of an estimator follows its code.
Anything else is refused with a ValueError naming both versions (refit the model, or
load it with the oddseq version that wrote it). A truncated or foreign file is a
ValueError too.

Pickle: fitted estimators can be pickled, but unpickling runs code chosen by whoever
wrote the file, so never unpickle (or ``joblib.load``) a model from a source you do not
trust; this format exists so that models can be exchanged safely.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT = "oddseq-model"
#: The version of the file layout and the tagged JSON; see the module docstring.
FORMAT_VERSION = 1
EXTENSION = ".oddseq"
_MANIFEST = "oddseq.json"
_MODULE = re.compile(r"^oddseq(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_QUALNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: Classes moved to another private module within this format version: the
#: "module:qualname" a file may record -> where the class is defined now, so files written
#: before the move still load (pure moves only: the saved state is unchanged).
_MOVED = {
    "oddseq.cluster._dbscan:NearestNeighbors": "oddseq.cluster._neighbors:NearestNeighbors",
    "oddseq.preprocessing._more:MinMaxScaler": "oddseq.preprocessing._scalers:MinMaxScaler",
    "oddseq.preprocessing._more:RobustScaler": "oddseq.preprocessing._scalers:RobustScaler",
    "oddseq.preprocessing._more:PCA": "oddseq.preprocessing._pca:PCA",
    "oddseq.preprocessing._more:Imputer": "oddseq.preprocessing._cleaning:Imputer",
    "oddseq.preprocessing._more:OutlierClipper": "oddseq.preprocessing._cleaning:OutlierClipper",
}


def _a(name: str) -> str:
    """A class name with its article, by sound: "a KMeans", "an AnomalyPipeline", "an
    LSTMDetector", "an LOF" (a name opening with two capitals is read letter by letter:
    F, H, L, M, N, R, S and X open with a vowel's sound, U does not), "a UniformScaler",
    "a OneClassSVM"."""
    if name[:2].isupper() and name[:2].isalpha():
        vowel = name[0] in "AEFHILMNORSX"
    elif name[:1] == "U":  # "an Unseen...", "a Uniform...", "a User..."
        vowel = name[:3].lower() not in ("uni", "use", "usu", "uti", "ura", "uri", "uro")
    else:  # ("a OneClass...": a w sound)
        vowel = name[:1] in "AEIO" and not name.lower().startswith("one")
    return f"{'an' if vowel else 'a'} {name}"


def _oddseq_version() -> str:
    from . import __version__

    return __version__


def _series(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


class SaveMixin:
    """Adds ``save(path)``: the model as a ``.oddseq`` file (versioned arrays + JSON,
    never pickle); :func:`oddseq.load` reads it back."""

    def save(self, path):
        """Write this fitted model to ``path`` (the documented extension is ``.oddseq``):
        arrays in ``.npy`` entries and parameters in a JSON entry of one zip file, read
        back by :func:`oddseq.load` without executing anything from the file (unlike
        pickle). The file is written to a temporary name and renamed, so a failed save
        never leaves a truncated model behind.

        ``path`` may also be a binary file object (``open(..., "wb")``, ``io.BytesIO()``),
        written as it is (no temporary file), as :func:`oddseq.load` reads one.

        Returns
        -------
        pathlib.Path
            The path written (the file object, where one was given).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import oddseq
        >>> from oddseq.detect import LOF
        >>> X = np.random.default_rng(0).normal(size=(100, 3))
        >>> model = LOF(n_neighbors=10).fit(X)
        >>> path = model.save(os.path.join(tempfile.mkdtemp(), "model.oddseq"))
        >>> again = oddseq.load(path)
        >>> bool((again.decision_function(X) == model.decision_function(X)).all())
        True
        """
        return save(self, path)

    def _state(self) -> dict:
        """The state ``save`` writes: parameters and fitted attributes as arrays and
        JSON-able values (nested estimators allowed). By default what pickle saves
        (``__getstate__``: the instance dict, less what the class drops, such as C++
        objects it rebuilds); override with ``_from_state`` to save something else."""
        state = self.__getstate__()
        return {} if state is None else dict(state)

    def _from_state(self, state: dict) -> None:
        """Set the state ``_state`` returned on an instance made without ``__init__``;
        by default ``__setstate__`` (which rebuilds C++ objects where a class has them)."""
        if hasattr(self, "__setstate__"):
            self.__setstate__(state)
        else:
            self.__dict__.update(state)

    @classmethod
    def load(cls, path):
        """Read a model written by ``save`` (see :func:`oddseq.load`), checking that it
        is a ``cls``: ``LOF.load(path)`` refuses a file that holds a KMeans.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from oddseq.preprocessing import StandardScaler
        >>> X = np.arange(6.0).reshape(3, 2)
        >>> path = StandardScaler().fit(X).save(os.path.join(tempfile.mkdtemp(), "s.oddseq"))
        >>> StandardScaler.load(path).mean_.tolist()
        [2.0, 3.0]
        """
        model = load(path)
        if not isinstance(model, cls):
            raise ValueError(
                f"{os.fspath(path) if not hasattr(path, 'read') else path!r} holds "
                f"{_a(type(model).__name__)}, not {_a(cls.__name__)}; read it with oddseq.load"
            )
        return model


# --- encoding ------------------------------------------------------------------------


class _Encoder:
    """Turns a model into tagged JSON plus a list of arrays."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self._array_ids: dict[int, dict] = {}
        self._objects: dict[int, int] = {}
        self._keep: list = []  # holds encoded objects so their ids stay unique

    def array(self, array: np.ndarray):
        known = self._array_ids.get(id(array))
        if known is not None:
            return known
        self._keep.append(array)
        kind = array.dtype.kind
        if kind == "O":
            flat = array.ravel().tolist()
            if all(type(v) is str for v in flat):
                # UTF-8 bytes and offsets: compact however long the longest string is
                # (a fixed-width "<U" array would pad every entry to it).
                encoded = [v.encode("utf-8", "surrogatepass") for v in flat]
                offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
                np.cumsum([len(b) for b in encoded], out=offsets[1:])
                node = {
                    "__strings__": {
                        "bytes": self._store(np.frombuffer(b"".join(encoded), dtype=np.uint8)),
                        "offsets": self._store(offsets),
                        "shape": list(array.shape),
                    }
                }
            else:
                items = [self.value(v) for v in flat]
                node = {"__object_array__": {"shape": list(array.shape), "items": items}}
        elif kind in "biufcmMUS":
            node = {"__array__": self._store(array)}
        else:
            raise TypeError(f"cannot save an array of dtype {array.dtype} (structured or void)")
        self._array_ids[id(array)] = node
        return node

    def _store(self, array: np.ndarray) -> str:
        """A new arrays/<n>.npy entry for array; its name."""
        name = f"arrays/{len(self.arrays)}.npy"
        # (not ascontiguousarray, which makes 0-d arrays 1-d)
        self.arrays.append(array if array.flags.c_contiguous else array.copy(order="C"))
        return name

    def index(self, index: pd.Index):
        if isinstance(index, pd.RangeIndex):
            return {
                "__range_index__": [index.start, index.stop, index.step, self.value(index.name)]
            }
        if isinstance(index, pd.MultiIndex):
            return {
                "__multi_index__": {
                    "levels": [self.index(level) for level in index.levels],
                    "codes": [self.array(np.asarray(c)) for c in index.codes],
                    "names": [self.value(n) for n in index.names],
                }
            }
        return {"__index__": {"values": self.column(index), "name": self.value(index.name)}}

    def column(self, values):
        """The values of a pandas Index or Series with their dtype (categorical, string,
        nullable and time-zone aware dtypes included)."""
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            data = {
                "codes": self.array(np.asarray(values.array.codes)),
                "categories": self.index(dtype.categories),
                "ordered": bool(dtype.ordered),
            }
        elif isinstance(dtype, np.dtype):
            data = self.array(values.to_numpy())
        else:
            data = self.array(np.asarray(values.to_numpy(dtype=object), dtype=object))
        return {"__column__": {"dtype": str(dtype), "data": data}}

    def value(self, value):  # noqa: C901 - one branch per kind of value
        if isinstance(value, np.generic):
            if value.dtype.kind in "OV":
                raise TypeError(f"cannot save a numpy scalar of dtype {value.dtype}")
            return {"__scalar__": self.array(np.asarray(value))}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return int(value)
        if isinstance(value, float) and not isinstance(value, np.floating):
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"__dtype_type__": np.dtype(value).str}
        if value is pd.NA:
            return {"__na__": None}
        if value is pd.NaT:
            return {"__nat__": None}
        if isinstance(value, pd.Timestamp):
            return {"__timestamp__": [value.value, None if value.tz is None else str(value.tz)]}
        if isinstance(value, pd.Timedelta):
            return {"__timedelta__": value.value}
        if isinstance(value, pd.Index):
            return self.index(value)
        if isinstance(value, pd.Series):
            return {
                "__series__": {
                    "values": self.column(value),
                    "index": self.index(value.index),
                    "name": self.value(value.name),
                }
            }
        if isinstance(value, pd.DataFrame):
            return {
                "__data_frame__": {
                    "columns": self.index(value.columns),
                    "data": [self.column(value.iloc[:, i]) for i in range(value.shape[1])],
                    "index": self.index(value.index),
                }
            }
        if isinstance(value, np.random.RandomState):
            return {"__random_state__": self.value(value.get_state(legacy=False))}
        if isinstance(value, np.random.Generator):
            return {"__generator__": self.value(value.bit_generator.state)}
        if isinstance(value, tuple):
            return {"__tuple__": [self.value(v) for v in value]}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, (set, frozenset)):
            return {
                "__set__": [self.value(v) for v in value],
                "frozen": isinstance(value, frozenset),
            }
        if isinstance(value, bytes):
            return {"__bytes__": value.hex()}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("__") for k in value):
                return {k: self.value(v) for k, v in value.items()}
            return {"__dict__": [[self.value(k), self.value(v)] for k, v in value.items()]}
        return self.object(value)

    def object(self, obj):
        cls = type(obj)
        module = cls.__module__
        if not _MODULE.match(module) or module == "oddseq._core":
            raise TypeError(
                f"cannot save an object of type {module}.{cls.__qualname__}: only oddseq's "
                "own estimators, NumPy arrays, pandas objects and plain values can be saved"
            )
        known = self._objects.get(id(obj))
        if known is not None:
            return {"__ref__": known}
        number = len(self._objects)
        self._objects[id(obj)] = number
        self._keep.append(obj)
        if hasattr(obj, "_state"):
            state = obj._state()
        else:
            state = obj.__getstate__()
            state = {} if state is None else state
        if not isinstance(state, dict):
            raise TypeError(f"{cls.__qualname__}'s state is not a dict; give it _state()")
        return {
            "__object__": f"{module}:{cls.__qualname__}",
            "id": number,
            "state": self.value(dict(state)),
        }


def save(model, path) -> Path:
    """Write ``model`` (an oddseq estimator or pipeline) to ``path`` as a ``.oddseq``
    file: see :meth:`SaveMixin.save` and the module docstring for the format."""
    encoder = _Encoder()
    tree = encoder.object(model)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "oddseq_version": _oddseq_version(),
        "numpy_version": np.__version__,
        "model": tree,
    }
    text = json.dumps(manifest, allow_nan=False, separators=(",", ":"))
    if hasattr(path, "write"):  # a binary file object, as load takes one
        if isinstance(path, io.TextIOBase):
            raise TypeError(
                "save writes to a path or a binary file object (open(..., 'wb'), "
                f"io.BytesIO()), got a text one ({type(path).__name__})"
            )
        _write_zip(path, text, encoder.arrays)
        return path
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(
            "save writes to a path or a binary file object (open(..., 'wb'), io.BytesIO()), "
            f"got {type(path).__name__}"
        )
    path = Path(os.path.expanduser(os.fspath(path)))  # "~/m.oddseq", as pandas reads it
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot save to {str(path)!r}: {missing_folder(folder)}")
    try:
        handle, temporary = _temporary_beside(path, folder)
    except OSError as error:  # (its message names the temporary file, not the model's)
        raise _not_written(path, error) from None
    try:
        with os.fdopen(handle, "wb") as raw:
            _write_zip(raw, text, encoder.arrays)
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _not_written(path, error) from None
        raise
    return path


def _temporary_beside(path: Path, folder: Path) -> tuple[int, str]:
    """A new temporary file in ``folder`` for ``path``'s content (renamed over it once
    written): (its descriptor, its name). Its mode is what the umask gives a new file
    (0644 under 022, as the tables written beside it: tempfile.mkstemp's 0600 left a
    model the account that scores with it could not read), or the mode of the file it
    replaces (its owner's choice)."""
    import secrets
    import stat

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = str(folder / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            handle = os.open(name, flags, 0o666)
        except FileExistsError:
            continue
        try:
            os.chmod(name, stat.S_IMODE(path.stat().st_mode))
        except OSError:
            pass  # a new model (the umask's mode), or a file system that keeps its own
        return handle, name
    raise FileExistsError(f"no free temporary name beside {path}")


def _write_zip(raw, text: str, arrays) -> None:
    """The model's zip (its manifest ``text`` and ``arrays``) into the binary file ``raw``."""
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_MANIFEST, text)
        for i, array in enumerate(arrays):
            with zf.open(f"arrays/{i}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def missing_folder(folder) -> str:
    """Why ``folder`` (not a folder) cannot take a file: a file on its way ("log.csv is a
    file, not a folder": mkdir would refuse it), else that it does not exist."""
    folder = Path(folder)
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                return f"{part} is a file, not a folder"
            break
    return f"the folder {folder} does not exist; create it first"


def _not_written(path, error: OSError) -> OSError:
    """The error of a model that could not be written, naming its path (an OSError of
    the same kind: PermissionError, a full disk's OSError), not the temporary file."""
    reason = error.strerror or str(error)
    return type(error)(f"cannot write the model to {str(path)!r}: {reason}")


# --- decoding ------------------------------------------------------------------------


class _Decoder:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.arrays: dict[str, np.ndarray] = {}
        self.objects: dict[int, object] = {}

    def array(self, name: str) -> np.ndarray:
        if name in self.arrays:
            return self.arrays[name]
        if not re.fullmatch(r"arrays/\d+\.npy", name):
            raise ValueError(f"bad array entry name {name!r}")
        info = self.archive.getinfo(name)
        with self.archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            if dtype.hasobject:
                raise ValueError(f"{name} holds Python objects, which this format never writes")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise ValueError(f"{name} is shorter than its header says")
        with self.archive.open(info) as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
        self.arrays[name] = array
        return array

    def value(self, node):  # noqa: C901 - one branch per tag
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict):
            raise ValueError(f"unexpected JSON value {node!r}")
        if not any(k.startswith("__") for k in node):
            return {k: self.value(v) for k, v in node.items()}
        if "__array__" in node:
            return self.array(node["__array__"])
        if "__strings__" in node:
            spec = node["__strings__"]
            data = self.array(spec["bytes"]).tobytes()
            offsets = self.array(spec["offsets"])
            if (
                offsets.dtype != np.int64
                or offsets.ndim != 1
                or offsets[0] != 0
                or offsets[-1] != len(data)
                or (np.diff(offsets) < 0).any()
            ):
                raise ValueError("bad string offsets")
            bounds = offsets.tolist()
            strings = np.empty(len(bounds) - 1, dtype=object)
            strings[:] = [
                data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds, bounds[1:])
            ]
            return strings.reshape(tuple(spec["shape"]))
        if "__object_array__" in node:
            spec = node["__object_array__"]
            items = [self.value(v) for v in spec["items"]]
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(tuple(spec["shape"]))
        if "__scalar__" in node:
            array = self.value(node["__scalar__"])
            if not isinstance(array, np.ndarray) or array.ndim != 0:
                raise ValueError("a scalar entry is not a 0-d array")
            return array[()]
        if "__float__" in node:
            text = node["__float__"]
            if text not in ("nan", "inf", "-inf"):
                raise ValueError(f"bad float {text!r}")
            return float(text)
        if "__dtype__" in node:
            return np.dtype(str(node["__dtype__"]))
        if "__dtype_type__" in node:
            return np.dtype(str(node["__dtype_type__"])).type
        if "__na__" in node:
            return pd.NA
        if "__nat__" in node:
            return pd.NaT
        if "__timestamp__" in node:
            ns, tz = node["__timestamp__"]
            stamp = pd.Timestamp(int(ns))
            return stamp if tz is None else stamp.tz_localize("UTC").tz_convert(str(tz))
        if "__timedelta__" in node:
            return pd.Timedelta(int(node["__timedelta__"]))
        if "__tuple__" in node:
            return tuple(self.value(v) for v in node["__tuple__"])
        if "__set__" in node:
            items = [self.value(v) for v in node["__set__"]]
            return frozenset(items) if node.get("frozen") else set(items)
        if "__bytes__" in node:
            return bytes.fromhex(node["__bytes__"])
        if "__dict__" in node:
            return {self.value(k): self.value(v) for k, v in node["__dict__"]}
        if "__range_index__" in node:
            start, stop, step, name = node["__range_index__"]
            return pd.RangeIndex(int(start), int(stop), int(step), name=self.value(name))
        if "__multi_index__" in node:
            spec = node["__multi_index__"]
            return pd.MultiIndex(
                levels=[self.value(v) for v in spec["levels"]],
                codes=[self.value(v) for v in spec["codes"]],
                names=[self.value(v) for v in spec["names"]],
                verify_integrity=True,
            )
        if "__index__" in node:
            spec = node["__index__"]
            values, dtype = self.column(spec["values"])
            return pd.Index(values, dtype=dtype, name=self.value(spec["name"]), copy=False)
        if "__series__" in node:
            spec = node["__series__"]
            values, dtype = self.column(spec["values"])
            return pd.Series(
                values,
                dtype=dtype,
                index=self.value(spec["index"]),
                name=self.value(spec["name"]),
                copy=False,
            )
        if "__data_frame__" in node:
            spec = node["__data_frame__"]
            index = self.value(spec["index"])
            data = {}
            for i, column in enumerate(spec["data"]):
                values, dtype = self.column(column)
                data[i] = pd.Series(values, dtype=dtype, index=index, copy=False)
            frame = pd.DataFrame(data, index=index, copy=False)
            frame.columns = self.value(spec["columns"])
            return frame
        if "__random_state__" in node:
            state = np.random.RandomState()
            state.set_state(self.value(node["__random_state__"]))
            return state
        if "__generator__" in node:
            state = self.value(node["__generator__"])
            bit_generator = getattr(np.random, str(state["bit_generator"]))
            if not (
                isinstance(bit_generator, type)
                and issubclass(bit_generator, np.random.BitGenerator)
            ):
                raise ValueError(f"unknown bit generator {state['bit_generator']!r}")
            generator = bit_generator()
            generator.state = state
            return np.random.Generator(generator)
        if "__ref__" in node:
            return self.objects[int(node["__ref__"])]
        if "__object__" in node:
            return self.object(node)
        raise ValueError(f"unknown tag in {sorted(node)}")

    def column(self, node):
        """(values, dtype) of a pandas Index or Series (see _Encoder.column)."""
        spec = node["__column__"]
        dtype, data = str(spec["dtype"]), spec["data"]
        if dtype == "category":
            values = pd.Categorical.from_codes(
                self.value(data["codes"]),
                categories=self.value(data["categories"]),
                ordered=bool(data["ordered"]),
            )
            return values, values.dtype
        values = self.value(data)
        if not isinstance(values, np.ndarray):
            raise ValueError("a column's data is not an array")
        if values.dtype == object and dtype != "object":
            return pd.array(values, dtype=dtype), dtype
        return values, values.dtype

    def object(self, node):
        cls = _resolve_class(node["__object__"])
        obj = cls.__new__(cls)
        self.objects[int(node["id"])] = obj
        state = self.value(node["state"])
        if not isinstance(state, dict):
            raise ValueError(f"the state of {node['__object__']} is not a dict")
        if hasattr(obj, "_from_state"):
            obj._from_state(state)
        elif hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj


def _resolve_class(name) -> type:
    """An oddseq class from "module:qualname"; nothing else is ever imported."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise ValueError(f"bad class name {name!r}")
    module_name, qualname = _MOVED.get(name, name).split(":")
    if (
        not _MODULE.match(module_name)
        or module_name == "oddseq._core"
        or any(part.startswith("__") for part in module_name.split("."))
    ):
        # (never a __main__, whose import would run a program)
        raise ValueError(f"refusing to load {name!r}: not a class of oddseq's own modules")
    if not _QUALNAME.match(qualname) or "<" in qualname:
        raise ValueError(f"bad class name {name!r}")
    try:
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise ValueError(f"the file names {name!r}, which this oddseq does not have") from None
    if not isinstance(target, type) or target.__module__ != module_name:
        raise ValueError(f"refusing to load {name!r}: not a class defined in {module_name}")
    return target


def load(path):
    """Read a model written by ``save`` (a ``.oddseq`` file: versioned arrays + JSON).

    Nothing in the file is executed: arrays are read with ``allow_pickle=False`` and
    objects are rebuilt only from oddseq's own classes. Files of another format version
    or oddseq release series are refused with a ValueError naming both versions, and so
    is any file that is not a complete oddseq model (truncated, corrupted, foreign).

    Parameters
    ----------
    path : str, path-like or binary file object

    Returns
    -------
    The estimator or pipeline that was saved, fitted as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import oddseq
    >>> from oddseq.detect import RobustZDetector
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> path = RobustZDetector().fit(X).save(os.path.join(tempfile.mkdtemp(), "z.oddseq"))
    >>> type(oddseq.load(path)).__name__
    'RobustZDetector'
    """
    if isinstance(path, io.TextIOBase):
        raise TypeError(
            "load reads a path or a binary file object (open(..., 'rb'), io.BytesIO(data)), "
            f"got a text one ({type(path).__name__})"
        )
    if isinstance(path, (bytearray, memoryview)) or (
        isinstance(path, bytes) and (b"\0" in path or path.startswith(b"PK\x03\x04"))
    ):  # the file's content (from a store, obj.read()), not a path
        raise TypeError(
            f"load reads a path or a binary file object, got the file's {len(path):,} bytes: "
            "pass io.BytesIO(data)"
        )
    where = path if isinstance(path, io.IOBase) else os.path.expanduser(os.fspath(path))
    label = str(getattr(path, "name", "<file>")) if isinstance(path, io.IOBase) else str(where)
    try:
        archive = zipfile.ZipFile(where, "r")
    except FileNotFoundError:
        raise
    except (IsADirectoryError, PermissionError):
        raise
    except Exception as error:  # not a zip, or a damaged one
        raise ValueError(
            f"{label!r} is not an oddseq model file (expected a .oddseq zip): {error}"
        ) from None
    with archive:
        try:
            manifest = json.loads(archive.read(_MANIFEST).decode("utf-8"))
        except Exception as error:  # a missing, truncated or garbled entry
            raise ValueError(
                f"{label!r} is not a readable oddseq model file ({type(error).__name__}: {error})"
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"{label!r} is not an oddseq model file (no {FORMAT!r} manifest)")
        found = manifest.get("format_version")
        written_by = str(manifest.get("oddseq_version"))
        if found != FORMAT_VERSION:
            raise ValueError(
                f"{label!r} is in oddseq model format version {found} (written by oddseq "
                f"{written_by}); this oddseq {_oddseq_version()} reads format version "
                f"{FORMAT_VERSION} only. Load it with the oddseq that wrote it, or refit."
            )
        if _series(written_by) != _series(_oddseq_version()):
            raise ValueError(
                f"{label!r} was written by oddseq {written_by}; this is oddseq "
                f"{_oddseq_version()}, and a fitted model is read only by the release "
                f"series that wrote it ({'.'.join(_series(written_by))}.x). Load it with "
                "that version, or refit."
            )
        try:
            node = manifest["model"]
            if not isinstance(node, dict) or "__object__" not in node:
                raise ValueError("the manifest holds no model")
            return _Decoder(archive).value(node)
        except ValueError as error:
            raise ValueError(f"{label!r} is not a valid oddseq model file: {error}") from None
        except Exception as error:  # zipfile, numpy and JSON errors of a damaged file
            raise ValueError(
                f"{label!r} is not a valid oddseq model file ({type(error).__name__}: {error})"
            ) from None
