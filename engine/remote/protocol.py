"""The hvlab remote protocol, version 1: JSON-RPC 2.0 over a WebSocket (docs/remote.md).

A client opens ``wss://HOST:PORT/`` offering the WebSocket subprotocol :data:`SUBPROTOCOL`
and sending its token as ``Authorization: Bearer TOKEN``.  Every text message is one JSON-RPC
2.0 request, notification or response (batches are refused: one request, one answer keeps
a flooding client from queueing work for others).  The server speaks first with a
``hvlab.welcome`` notification.

The methods are the facade's declared calls (``vm``, ``create_vm``, ``start`` …, and the
clock properties ``now_seconds`` and ``now_us``) with their Python parameter names, plus the
server's own, named ``hvlab.*`` (:data:`SERVER_METHODS`).  ``params`` is an array
(positional arguments), an object (named ones) or, for a call that needs both, an object
whose member ``"*"`` is the array of positional ones.  Values other than JSON's own are
tagged (:mod:`hvlab.engine.remote.codec`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hvlab.engine.api import CallKind, HvError, ManagementApi, declared_calls
from hvlab.engine.remote import codec
from hvlab.engine.remote.defaults import DEFAULT_PORT as DEFAULT_PORT

#: The WebSocket subprotocol of this version; a server refuses a client that offers no
#: version it speaks.
SUBPROTOCOL = "hvlab.v1"
PROTOCOL_VERSION = 1
#: The largest message either side accepts (a VM table of 1024 VMs is about 200 KiB).
MAX_MESSAGE_BYTES = 1 << 20

# JSON-RPC 2.0's own error codes, and the server's (-32000 to -32099 are for servers).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
ENGINE_ERROR = -32000  # the engine refused: data names the error type and its fields
ACCESS_DENIED = -32001  # the token does not allow this method

#: The server's own methods and the access each needs ("read-only" or "read-write").
SERVER_METHODS = {
    "hvlab.subscribe": "read-only",  # {"events": bool, "ticks": bool}
    "hvlab.watch": "read-only",  # {"streams": [["vm", ref] | ["host", ref|null], ...]}
    "hvlab.events": "read-only",  # the library's whole event log, filtered
    "hvlab.run_clock": "read-write",  # [speed]: simulated seconds per wall second
}
#: Clock properties read as methods without params.
PROPERTIES = ("now_seconds", "now_us")
#: Notifications the server sends.
WELCOME = "hvlab.welcome"
EVENT = "hvlab.event"
TICK = "hvlab.tick"
COUNTERS = "hvlab.counters"
OVERFLOW = "hvlab.overflow"


def api_methods() -> dict[str, CallKind]:
    """The facade's calls a client may make, by name (``subscribe`` is the server's
    ``hvlab.subscribe``)."""
    calls = {n: k for n, k in declared_calls(ManagementApi).items() if n != "subscribe"}
    calls.update(dict.fromkeys(PROPERTIES, CallKind.QUERY))
    return calls


class ProtocolError(Exception):
    """A message the server answers with a JSON-RPC error (code, message)."""

    def __init__(self, code: int, message: str, ident: int | str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: The request's id, when the message got as far as having one.
        self.ident = ident


@dataclass(frozen=True)
class Request:
    id: int | str | None  # None: a notification (no answer)
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    notification: bool


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def parse_request(text: str | bytes) -> Request:
    """One request from a message; :class:`ProtocolError` says what is wrong (JSON-RPC's
    codes).  Params are decoded (:mod:`codec`)."""
    if isinstance(text, bytes):
        raise ProtocolError(INVALID_REQUEST, "Binary messages are not part of the protocol; "
                                             "send JSON text.")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ProtocolError(PARSE_ERROR, f"The message is not JSON: {err}") from None
    if isinstance(message, list):
        raise ProtocolError(INVALID_REQUEST, "Batches are not supported; send one request "
                                             "per message.")
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise ProtocolError(INVALID_REQUEST, 'A request is a JSON object with "jsonrpc": "2.0".')
    notification = "id" not in message
    ident = message.get("id")
    if not (ident is None or isinstance(ident, str)
            or (isinstance(ident, int) and not isinstance(ident, bool))):
        raise ProtocolError(INVALID_REQUEST, 'A request\'s "id" is a string or an integer.')
    method = message.get("method")
    if not isinstance(method, str):
        raise ProtocolError(INVALID_REQUEST, 'A request names its "method" as a string.', ident)
    params = message.get("params", [])
    try:
        args, kwargs = _params(codec.decode(params))
    except codec.CodecError as err:
        raise ProtocolError(INVALID_PARAMS, f"Invalid params of {method}: {err}", ident) from None
    except RecursionError:
        raise ProtocolError(INVALID_PARAMS, f"The params of {method} nest too deeply.",
                            ident) from None
    return Request(ident, method, args, kwargs, notification)


def _params(params: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if isinstance(params, list):
        return tuple(params), {}
    if isinstance(params, dict):
        named = dict(params)
        positional = named.pop("*", [])
        if not isinstance(positional, list):
            raise codec.CodecError('the member "*" of params is the array of positional ones')
        return tuple(positional), named
    raise codec.CodecError("params are an array or an object")


def request_params(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The encoded ``params`` of a call (the inverse of the server's reading)."""
    if not kwargs:
        return [codec.encode(a) for a in args]
    named = {k: codec.encode(v) for k, v in kwargs.items()}
    if args:
        named["*"] = [codec.encode(a) for a in args]
    return named


def error_response(ident: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": ident, "error": error}


def engine_error_data(err: HvError) -> dict[str, Any]:
    """An engine error's type and fields, for the client to raise the same error."""
    attributes: dict[str, Any] = {}
    for key, value in vars(err).items():
        try:
            attributes[key] = codec.encode(value)
        except codec.CodecError:
            continue
    return {"type": type(err).__name__, "attributes": attributes}


def _error_types() -> dict[str, type[HvError]]:
    found: dict[str, type[HvError]] = {}
    pending: list[type[HvError]] = [HvError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    return found


def engine_error(message: str, data: Any) -> HvError:
    """The engine error a response carries (an :class:`HvError` when its type is unknown)."""
    import hvlab.engine.api  # noqa: F401  (loads every error type the surface names)

    name = data.get("type") if isinstance(data, dict) else None
    cls = _error_types().get(name) if isinstance(name, str) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if cls is None or not isinstance(attributes, dict):
        return HvError(message)
    err = cls.__new__(cls)
    try:
        err.__dict__.update({k: codec.decode(v) for k, v in attributes.items()})
    except (codec.CodecError, RecursionError):
        return HvError(message)
    err.__dict__.setdefault("message", message)
    err.__dict__.setdefault("details", ())
    Exception.__init__(err, err.text)
    return err
