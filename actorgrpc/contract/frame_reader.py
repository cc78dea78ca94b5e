"""Reading a frame of the mailbox stream, and salvaging what the protobuf runtime
refuses: a frame with one bad envelope (bad UTF-8 in a string, a broken nested
message) is split into its envelopes, the good ones run and each bad one is answered
by its id, so one hostile envelope does not cost the others or the stream.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import DecodeError

from actorgrpc.contract.errors import InvalidArgument
from actorgrpc.v1 import mailbox_pb2

__all__ = ["BadEnvelope", "MalformedFrame", "read_frame", "split_entries", "scan_id_and_tell"]


class BadEnvelope:
    """An envelope that did not parse: answered INVALID_ARGUMENT by its id."""

    def __init__(self, call_id: int, tell: bool, error: Exception):
        self.id = call_id
        self.tell = tell
        self.error = InvalidArgument(f"malformed envelope: {str(error)[:200]}")


class MalformedFrame:
    """A frame that is not a list of envelopes at all: the stream ends."""

    def __init__(self, error: Exception):
        self.description = f"malformed StreamRequest frame: {str(error)[:200]}"


def read_frame(data: bytes,
               ) -> Sequence[mailbox_pb2.Envelope | BadEnvelope] | MalformedFrame:
    """The envelopes of a frame (what the stream handler reads).

    The common case is one parse of the whole frame by the protobuf runtime. A frame
    it refuses (bad UTF-8 in one string, a broken envelope) is split into its
    envelopes, each parsed alone: the good ones run, each bad one gets its own
    INVALID_ARGUMENT reply, and the stream lives on.
    """
    try:
        return _parse_frame(data).envelopes
    except DecodeError as exc:
        entries = split_entries(data)
        if entries is None:
            return MalformedFrame(exc)
    envelopes: list[mailbox_pb2.Envelope | BadEnvelope] = []
    for entry in entries:
        try:
            envelopes.append(_parse_envelope(entry))
        except DecodeError as exc:
            envelopes.append(BadEnvelope(*scan_id_and_tell(entry), exc))
    return envelopes


_parse_frame = mailbox_pb2.StreamRequest.FromString
_parse_envelope = mailbox_pb2.Envelope.FromString


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it); ValueError when the varint is cut or too long."""
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def split_entries(frame: bytes) -> list[bytes] | None:
    """The entries of repeated field 1 of a frame (``StreamRequest.envelopes``), or
    None when the frame is not that shape at all."""
    entries, pos = [], 0
    try:
        while pos < len(frame):
            if frame[pos] != 0x0A:
                return None
            length, pos = _read_varint(frame, pos + 1)
            if pos + length > len(frame):
                return None
            entries.append(frame[pos:pos + length])
            pos += length
    except ValueError:
        return None
    return entries


def scan_id_and_tell(entry: bytes) -> tuple[int, bool]:
    """Fields 1 (id) and 6 (tell) of an Envelope that does not parse (bad UTF-8, a
    broken nested message, ...): enough to answer it. (0, False) when unreadable."""
    call_id, tell, pos = 0, False, 0
    try:
        while pos < len(entry):
            key, pos = _read_varint(entry, pos)
            number, wire_type = key >> 3, key & 7
            if wire_type == 0:
                value, pos = _read_varint(entry, pos)
                if number == 1:
                    call_id = value
                elif number == 6:
                    tell = bool(value)
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            elif wire_type == 2:
                length, pos = _read_varint(entry, pos)
                pos += length
            else:
                break
    except ValueError:
        pass
    return call_id, tell
