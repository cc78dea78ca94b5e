package actorgrpc

import (
	"errors"
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
	fieldFrameEntries protowire.Number = 1 // StreamRequest.envelopes, StreamResponse.replies

	fieldEnvID         protowire.Number = 1
	fieldEnvTarget     protowire.Number = 2
	fieldEnvAction     protowire.Number = 3
	fieldEnvTell       protowire.Number = 6
	fieldEnvTimeout    protowire.Number = 7
	fieldEnvArgsJSON   protowire.Number = 8
	fieldEnvKwargsJSON protowire.Number = 9
	fieldEnvBatchArgs  protowire.Number = 10

	fieldReplyID           protowire.Number = 1
	fieldReplyResult       protowire.Number = 2
	fieldReplyFailure      protowire.Number = 3
	fieldReplyResultJSON   protowire.Number = 4
	fieldReplyBatchResults protowire.Number = 5

	fieldFailureCode    protowire.Number = 1
	fieldFailureMessage protowire.Number = 2
	fieldFailureType    protowire.Number = 3
)

// envelopeOverhead bounds the bytes an envelope adds around its target,
// action and arguments: its own tag and length, the id, tell, timeout, and
// the tags and lengths of its fields (Python's ENVELOPE_OVERHEAD).
const envelopeOverhead = 40

// envKey is what consecutive calls must share to be coalesced into one
// batch_args_json envelope: everything of the envelope but ids and arguments.
type envKey struct {
	target  string
	action  string
	tell    bool
	timeout float64 // seconds; 0 = none
}

// envelopeBodySize is the size of an envelope's body.
func envelopeBodySize(id uint64, k *envKey, argsLen, kwargsLen int) int {
	n := 0
	if id != 0 {
		n += protowire.SizeTag(fieldEnvID) + protowire.SizeVarint(id)
	}
	if k.target != "" {
		n += 1 + protowire.SizeBytes(len(k.target))
	}
	if k.action != "" {
		n += 1 + protowire.SizeBytes(len(k.action))
	}
	if k.tell {
		n += 2
	}
	if k.timeout != 0 {
		n += 1 + 8
	}
	n += 1 + protowire.SizeBytes(argsLen)
	if kwargsLen > 0 {
		n += 1 + protowire.SizeBytes(kwargsLen)
	}
	return n
}

// appendEnvelopeHead appends an envelope's tag and length and every field
// before its arguments; the caller appends the arguments field (argsField,
// argsLen bytes of content) and kwargs, exactly as sized here.
func appendEnvelopeHead(buf []byte, id uint64, k *envKey, argsField protowire.Number, argsLen, kwargsLen int) []byte {
	buf = protowire.AppendTag(buf, fieldFrameEntries, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(envelopeBodySize(id, k, argsLen, kwargsLen)))
	if id != 0 {
		buf = protowire.AppendTag(buf, fieldEnvID, protowire.VarintType)
		buf = protowire.AppendVarint(buf, id)
	}
	if k.target != "" {
		buf = protowire.AppendTag(buf, fieldEnvTarget, protowire.BytesType)
		buf = protowire.AppendString(buf, k.target)
	}
	if k.action != "" {
		buf = protowire.AppendTag(buf, fieldEnvAction, protowire.BytesType)
		buf = protowire.AppendString(buf, k.action)
	}
	if k.tell {
		buf = protowire.AppendTag(buf, fieldEnvTell, protowire.VarintType)
		buf = protowire.AppendVarint(buf, 1)
	}
	if k.timeout != 0 {
		buf = protowire.AppendTag(buf, fieldEnvTimeout, protowire.Fixed64Type)
		buf = protowire.AppendFixed64(buf, math.Float64bits(k.timeout))
	}
	buf = protowire.AppendTag(buf, argsField, protowire.BytesType)
	return protowire.AppendVarint(buf, uint64(argsLen))
}

// appendEnvelope appends one envelope with args_json (and kwargs_json).
func appendEnvelope(buf []byte, id uint64, k *envKey, args, kwargs []byte) []byte {
	buf = appendEnvelopeHead(buf, id, k, fieldEnvArgsJSON, len(args), len(kwargs))
	buf = append(buf, args...)
	if len(kwargs) > 0 {
		buf = protowire.AppendTag(buf, fieldEnvKwargsJSON, protowire.BytesType)
		buf = protowire.AppendBytes(buf, kwargs)
	}
	return buf
}

// failure is a Failure from a reply on the stream.
type failure struct {
	code    int32
	message string
	typ     string
}

// replyOutcome is what one reply says about one call.
type replyOutcome struct {
	id      uint64
	json    []byte // result_json, or one element of batch_results_json
	value   []byte // result: an encoded google.protobuf.Value
	failure *failure
}

var errMalformedReply = errors.New("malformed StreamResponse")

// parseReplies reads a StreamResponse and calls fn for every call it
// answers (several for a batch_results_json reply), in order. The slices
// given to fn point into data.
func parseReplies(data []byte, fn func(replyOutcome)) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return errMalformedReply
		}
		data = data[n:]
		if num != fieldFrameEntries || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return errMalformedReply
			}
			data = data[n:]
			continue
		}
		reply, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return errMalformedReply
		}
		data = data[n:]
		if err := parseReply(reply, fn); err != nil {
			return err
		}
	}
	return nil
}

func parseReply(data []byte, fn func(replyOutcome)) error {
	var out replyOutcome
	var batch []byte
	isBatch := false
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return errMalformedReply
		}
		data = data[n:]
		switch {
		case num == fieldReplyID && typ == protowire.VarintType:
			out.id, n = protowire.ConsumeVarint(data)
		case typ == protowire.BytesType && num >= fieldReplyResult && num <= fieldReplyBatchResults:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			// A oneof: the last one set wins, as in protobuf.
			out.json, out.value, out.failure, batch, isBatch = nil, nil, nil, nil, false
			switch num {
			case fieldReplyResult:
				out.value = b
			case fieldReplyFailure:
				f, err := parseFailure(b)
				if err != nil {
					return err
				}
				out.failure = f
			case fieldReplyResultJSON:
				out.json = b
				if out.json == nil {
					out.json = []byte{}
				}
			case fieldReplyBatchResults:
				batch, isBatch = b, true
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return errMalformedReply
		}
		data = data[n:]
	}
	if !isBatch {
		fn(out)
		return nil
	}
	id := out.id
	return splitJSONArray(batch, func(elem []byte) {
		fn(replyOutcome{id: id, json: elem})
		id++
	})
}

func parseFailure(data []byte) (*failure, error) {
	f := &failure{}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, errMalformedReply
		}
		data = data[n:]
		switch {
		case num == fieldFailureCode && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(data)
			f.code = int32(v)
		case num == fieldFailureMessage && typ == protowire.BytesType:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			f.message = string(b)
		case num == fieldFailureType && typ == protowire.BytesType:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			f.typ = string(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return nil, errMalformedReply
		}
		data = data[n:]
	}
	return f, nil
}

var errNotJSONArray = errors.New("not a JSON array")

// splitJSONArray calls fn with the text of each element of the JSON array in
// data, in order. It only finds the elements' bounds (strings, nesting); each
// element is validated when it is decoded.
func splitJSONArray(data []byte, fn func([]byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return errNotJSONArray
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for {
		start := i
		depth := 0
	scan:
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i++
				for ; i < len(data) && data[i] != '"'; i++ {
					if data[i] == '\\' {
						i++
					}
				}
			case '[', '{':
				depth++
			case ']', '}':
				if depth == 0 {
					break scan
				}
				depth--
			case ',':
				if depth == 0 {
					break scan
				}
			}
		}
		if i >= len(data) || depth != 0 {
			return errNotJSONArray
		}
		end := i
		for end > start && isSpace(data[end-1]) {
			end--
		}
		if end == start {
			return errNotJSONArray
		}
		fn(data[start:end])
		if data[i] == ']' {
			if skipSpace(data, i+1) != len(data) {
				return errNotJSONArray
			}
			return nil
		}
		i = skipSpace(data, i+1)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}
