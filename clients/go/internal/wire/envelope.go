package wire

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The mailbox stream's messages are written and read here by hand, with
// protowire: a frame is appended envelope by envelope into one buffer whose
// size is known at every step (so a frame never exceeds the message limit),
// and replies are read without building a message per reply. The field
// numbers are mailbox.proto's; wire_test.go checks both directions against
// the generated types.

// Fields of StreamRequest, StreamResponse, Envelope, Reply and Failure.
const (
	FieldFrameEntries protowire.Number = 1 // StreamRequest.envelopes, StreamResponse.replies

	FieldEnvID         protowire.Number = 1
	FieldEnvTarget     protowire.Number = 2
	FieldEnvAction     protowire.Number = 3
	FieldEnvTell       protowire.Number = 6
	FieldEnvTimeout    protowire.Number = 7
	FieldEnvArgsJSON   protowire.Number = 8
	FieldEnvKwargsJSON protowire.Number = 9
	FieldEnvBatchArgs  protowire.Number = 10

	FieldReplyID           protowire.Number = 1
	FieldReplyResult       protowire.Number = 2
	FieldReplyFailure      protowire.Number = 3
	FieldReplyResultJSON   protowire.Number = 4
	FieldReplyBatchResults protowire.Number = 5

	FieldFailureCode    protowire.Number = 1
	FieldFailureMessage protowire.Number = 2
	FieldFailureType    protowire.Number = 3
)

// EnvelopeOverhead bounds the bytes an envelope adds around its target,
// action and arguments: its own tag and length, the id, tell, timeout, and
// the tags and lengths of its fields (Python's ENVELOPE_OVERHEAD).
const EnvelopeOverhead = 40

// EnvKey is what consecutive calls must share to be coalesced into one
// batch_args_json envelope: everything of the envelope but ids and arguments.
type EnvKey struct {
	Target  string
	Action  string
	Tell    bool
	Timeout float64 // seconds; 0 = none
}

// EnvelopeBodySize is the size of an envelope's body.
func EnvelopeBodySize(id uint64, k *EnvKey, argsLen, kwargsLen int) int {
	n := 0
	if id != 0 {
		n += protowire.SizeTag(FieldEnvID) + protowire.SizeVarint(id)
	}
	if k.Target != "" {
		n += 1 + protowire.SizeBytes(len(k.Target))
	}
	if k.Action != "" {
		n += 1 + protowire.SizeBytes(len(k.Action))
	}
	if k.Tell {
		n += 2
	}
	if k.Timeout != 0 {
		n += 1 + 8
	}
	n += 1 + protowire.SizeBytes(argsLen)
	if kwargsLen > 0 {
		n += 1 + protowire.SizeBytes(kwargsLen)
	}
	return n
}

// AppendEnvelopeHead appends an envelope's tag and length and every field
// before its arguments; the caller appends the arguments field (argsField,
// argsLen bytes of content) and kwargs, exactly as sized here.
func AppendEnvelopeHead(buf []byte, id uint64, k *EnvKey, argsField protowire.Number, argsLen, kwargsLen int) []byte {
	buf = protowire.AppendTag(buf, FieldFrameEntries, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(EnvelopeBodySize(id, k, argsLen, kwargsLen)))
	if id != 0 {
		buf = protowire.AppendTag(buf, FieldEnvID, protowire.VarintType)
		buf = protowire.AppendVarint(buf, id)
	}
	if k.Target != "" {
		buf = protowire.AppendTag(buf, FieldEnvTarget, protowire.BytesType)
		buf = protowire.AppendString(buf, k.Target)
	}
	if k.Action != "" {
		buf = protowire.AppendTag(buf, FieldEnvAction, protowire.BytesType)
		buf = protowire.AppendString(buf, k.Action)
	}
	if k.Tell {
		buf = protowire.AppendTag(buf, FieldEnvTell, protowire.VarintType)
		buf = protowire.AppendVarint(buf, 1)
	}
	if k.Timeout != 0 {
		buf = protowire.AppendTag(buf, FieldEnvTimeout, protowire.Fixed64Type)
		buf = protowire.AppendFixed64(buf, math.Float64bits(k.Timeout))
	}
	buf = protowire.AppendTag(buf, argsField, protowire.BytesType)
	return protowire.AppendVarint(buf, uint64(argsLen))
}

// AppendEnvelope appends one envelope with args_json (and kwargs_json).
func AppendEnvelope(buf []byte, id uint64, k *EnvKey, args, kwargs []byte) []byte {
	buf = AppendEnvelopeHead(buf, id, k, FieldEnvArgsJSON, len(args), len(kwargs))
	buf = append(buf, args...)
	if len(kwargs) > 0 {
		buf = protowire.AppendTag(buf, FieldEnvKwargsJSON, protowire.BytesType)
		buf = protowire.AppendBytes(buf, kwargs)
	}
	return buf
}

// SplitEntries returns the entries of repeated field 1 of a frame
// (StreamRequest.envelopes), or false when the frame is not that shape at
// all: a frame that does not parse as a whole is salvaged envelope by
// envelope, as Python's servers do.
func SplitEntries(frame []byte) ([][]byte, bool) {
	var entries [][]byte
	for len(frame) > 0 {
		num, typ, n := protowire.ConsumeTag(frame)
		if n < 0 || num != FieldFrameEntries || typ != protowire.BytesType {
			return nil, false
		}
		frame = frame[n:]
		entry, n := protowire.ConsumeBytes(frame)
		if n < 0 {
			return nil, false
		}
		entries = append(entries, entry)
		frame = frame[n:]
	}
	return entries, true
}

// ScanIDAndTell reads fields 1 (id) and 6 (tell) of an envelope that does
// not parse (bad UTF-8, a broken nested message): enough to answer it. Zero
// and false when they cannot be read.
func ScanIDAndTell(entry []byte) (id uint64, tell bool) {
	for len(entry) > 0 {
		num, typ, n := protowire.ConsumeTag(entry)
		if n < 0 {
			return id, tell
		}
		entry = entry[n:]
		if typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(entry)
			if m < 0 {
				return id, tell
			}
			switch num {
			case FieldEnvID:
				id = v
			case FieldEnvTell:
				tell = v != 0
			}
			n = m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, entry)
			if n < 0 {
				return id, tell
			}
		}
		entry = entry[n:]
	}
	return id, tell
}
