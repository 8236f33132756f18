"""Values of the management API as JSON, and back (the ``params`` and ``result`` of the
protocol, docs/remote.md).

JSON's own types carry themselves: ``null``, booleans, numbers, strings, arrays (a Python
list) and objects with string keys (a dict).  Everything else the facade takes or returns is
a one-member object whose key starts with ``$``:

==========================  ===================================================================
``{"$t": [...]}``           a tuple
``{"$s": [...]}``           a set (read as a frozenset)
``{"$m": [[k, v], ...]}``   a dict whose keys are not all plain strings (``Operation`` keys)
``{"$b": "base64"}``        bytes
``{"$u": "…-…"}``           a UUID (a virtual hard disk's identifier)
``{"$f": "nan"}``           a float JSON cannot write: ``nan``, ``inf``, ``-inf``
``{"$e": [type, value]}``   an enum member, by the enum's name and the member's value
``{"$d": [type, {...}]}``   a record (a frozen dataclass) by its name and its fields
``{"$a": [dtype, shape, "base64"]}``  a numpy array, little-endian bytes (bulk figures)
==========================  ===================================================================

Only the types the client surface (``hvlab.engine.api.__all__``) names, and the records
they hold, are decoded: a message cannot make the server build anything else.  A value the
codec does not know raises :class:`CodecError`, which the server answers as invalid params.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import enum
import json
import math
import sys
import typing
import uuid
from functools import cache
from typing import Any

import numpy as np

import hvlab.engine.api as api

#: numpy element types a message may carry (others are refused, so a message cannot ask
#: for object arrays).
DTYPES = frozenset({"<i4", "<i8", "<f4", "<f8", "|b1", "|u1", "<u4", "<u8"})
#: Elements of one array at most (a 1 MiB message cannot hold more anyway).
MAX_ARRAY_ITEMS = 1 << 20


class CodecError(ValueError):
    """A value that cannot be written or read as a protocol value (says which and why)."""


#: Classes of the client surface that are not values a call takes or returns.
_NOT_VALUES = frozenset({"InMemory"})  # an engine thread's owner, holding a live facade


@cache
def registry() -> dict[str, type]:
    """Every record and enum type a message may carry, by name: those of the client
    surface and, recursively, the types of their fields."""
    found: dict[str, type] = {}

    def visit(tp: Any) -> None:
        for arg in typing.get_args(tp):
            visit(arg)
        if not isinstance(tp, type):
            return
        if issubclass(tp, enum.Enum) or dataclasses.is_dataclass(tp):
            if found.get(tp.__name__, tp) is not tp:
                raise CodecError(f"two protocol types are named {tp.__name__}")
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
        if dataclasses.is_dataclass(tp):
            module = sys.modules[tp.__module__]
            hints = typing.get_type_hints(tp, vars(module))
            for f in dataclasses.fields(tp):
                visit(hints.get(f.name))

    for name in api.__all__:
        value = getattr(api, name)
        if isinstance(value, type) and name not in _NOT_VALUES:
            visit(value)
    for name in ("HostChanged", "JobChanged", "LogEntry", "VmListChanged", "VmStateChanged"):
        visit(getattr(api, name))
    return found


def encode(value: Any) -> Any:
    """``value`` as a JSON-ready structure (see the module)."""
    if isinstance(value, enum.Enum):  # first: a StrEnum member is a str too
        _known(type(value))
        return {"$e": [type(value).__name__, value.value]}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else {"$f": repr(number)}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        dtype = data.dtype.newbyteorder("<") if data.dtype.byteorder == ">" else data.dtype
        if dtype.str not in DTYPES:
            raise CodecError(f"arrays of {data.dtype} are not part of the protocol")
        raw = data.astype(dtype, copy=False).tobytes()
        return {"$a": [dtype.str, list(data.shape), base64.b64encode(raw).decode("ascii")]}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, set | frozenset):
        items = [encode(v) for v in value]
        with contextlib.suppress(TypeError):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return {"$s": items}
    if isinstance(value, dict):
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$m": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _known(type(value))
        return {"$d": [type(value).__name__,
                       {f.name: encode(getattr(value, f.name))
                        for f in dataclasses.fields(value) if f.init}]}
    raise CodecError(f"a {type(value).__name__} is not a protocol value")


def _known(tp: type) -> None:
    if registry().get(tp.__name__) is not tp:
        raise CodecError(f"{tp.__name__} is not a protocol type")


def decode(value: Any) -> Any:
    """The Python value of a decoded JSON document (see the module); :class:`CodecError`
    names what is wrong."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        raise CodecError(f"a JSON {type(value).__name__} is not a protocol value")
    tags = [k for k in value if k.startswith("$")]
    if not tags:
        return {k: decode(v) for k, v in value.items()}
    if len(value) != 1:
        raise CodecError(f"a tagged value has one member; this one has {len(value)}")
    tag, body = next(iter(value.items()))
    reader = _READERS.get(tag)
    if reader is None:
        raise CodecError(f"unknown tag {tag!r}")
    return reader(body)


def _expect(body: Any, kind: type, what: str) -> Any:
    if not isinstance(body, kind):
        raise CodecError(f"{what} must be a JSON {'array' if kind is list else 'string'}")
    return body


def _pair(body: Any, what: str) -> tuple[Any, Any]:
    if not isinstance(body, list) or len(body) != 2:
        raise CodecError(f"{what} must be a JSON array of two items")
    return body[0], body[1]


def _tuple(body: Any) -> tuple[Any, ...]:
    return tuple(decode(v) for v in _expect(body, list, "a tuple ($t)"))


def _set(body: Any) -> frozenset[Any]:
    try:
        return frozenset(decode(v) for v in _expect(body, list, "a set ($s)"))
    except TypeError as err:  # an unhashable member
        raise CodecError("a set's members must be plain values") from err


def _mapping(body: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for item in _expect(body, list, "a mapping ($m)"):
        key, val = _pair(item, "a mapping's entry")
        key = decode(key)
        try:
            out[key] = decode(val)
        except TypeError as err:  # an unhashable key
            raise CodecError(f"a mapping's key cannot be a {type(key).__name__}") from err
    return out


def _bytes(body: Any) -> bytes:
    try:
        return base64.b64decode(_expect(body, str, "bytes ($b)"), validate=True)
    except ValueError as err:
        raise CodecError("bytes ($b) must be base64") from err


def _uuid(body: Any) -> uuid.UUID:
    try:
        return uuid.UUID(_expect(body, str, "a UUID ($u)"))
    except ValueError as err:
        raise CodecError("a UUID ($u) is written as 32 hexadecimal digits") from err


def _float(body: Any) -> float:
    if body not in ("nan", "inf", "-inf"):
        raise CodecError('a special float ($f) is "nan", "inf" or "-inf"')
    return float(body)


def _enum(body: Any) -> enum.Enum:
    name, member = _pair(body, "an enum ($e)")
    tp = registry().get(name) if isinstance(name, str) else None
    if tp is None or not issubclass(tp, enum.Enum):
        raise CodecError(f"{name!r} is not a protocol enum")
    try:
        return tp(member)
    except (ValueError, TypeError) as err:
        raise CodecError(f"{member!r} is not a {name}") from err


def _record(body: Any) -> Any:
    name, fields = _pair(body, "a record ($d)")
    tp = registry().get(name) if isinstance(name, str) else None
    if tp is None or not dataclasses.is_dataclass(tp):
        raise CodecError(f"{name!r} is not a protocol record")
    if not isinstance(fields, dict):
        raise CodecError(f"the fields of a {name} must be a JSON object")
    known = {f.name for f in dataclasses.fields(tp) if f.init}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise CodecError(f"a {name} has no field {unknown[0]!r}")
    try:
        return tp(**{k: decode(v) for k, v in fields.items()})
    except CodecError:
        raise
    except Exception as err:  # a missing field, or the record's own check
        raise CodecError(f"not a valid {name}: {err}") from err


def _array(body: Any) -> np.ndarray[Any, Any]:
    if not isinstance(body, list) or len(body) != 3:
        raise CodecError("an array ($a) is [dtype, shape, base64]")
    dtype, shape, data = body
    if dtype not in DTYPES:
        raise CodecError(f"arrays of {dtype!r} are not part of the protocol")
    if (not isinstance(shape, list) or len(shape) > 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ARRAY_ITEMS
                       for n in shape)):
        raise CodecError("an array's shape is a list of up to four sizes")
    count = math.prod(shape)
    raw = _bytes(data)
    if count > MAX_ARRAY_ITEMS or len(raw) != count * np.dtype(dtype).itemsize:
        raise CodecError("an array's data does not match its shape")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()


_READERS = {"$t": _tuple, "$s": _set, "$u": _uuid, "$m": _mapping, "$b": _bytes,
            "$f": _float, "$e": _enum, "$d": _record, "$a": _array}
