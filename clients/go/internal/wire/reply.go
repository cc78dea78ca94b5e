package wire

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Failure is a Failure from a reply on the stream.
type Failure struct {
	Code    int32
	Message string
	Type    string
}

// Outcome is what one reply says about one call.
type Outcome struct {
	ID      uint64
	JSON    []byte   // result_json, or one element of batch_results_json
	Value   []byte   // result: an encoded google.protobuf.Value
	Failure *Failure // failure
}

// ErrMalformedReply: a StreamResponse that does not parse.
var ErrMalformedReply = errors.New("malformed StreamResponse")

// ParseReplies reads a StreamResponse and calls fn for every call it
// answers (several for a batch_results_json reply), in order. The slices
// given to fn point into data.
func ParseReplies(data []byte, fn func(Outcome)) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return ErrMalformedReply
		}
		data = data[n:]
		if num != FieldFrameEntries || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return ErrMalformedReply
			}
			data = data[n:]
			continue
		}
		reply, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return ErrMalformedReply
		}
		data = data[n:]
		if err := parseReply(reply, fn); err != nil {
			return err
		}
	}
	return nil
}

func parseReply(data []byte, fn func(Outcome)) error {
	var out Outcome
	var batch []byte
	isBatch := false
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return ErrMalformedReply
		}
		data = data[n:]
		switch {
		case num == FieldReplyID && typ == protowire.VarintType:
			out.ID, n = protowire.ConsumeVarint(data)
		case typ == protowire.BytesType && num >= FieldReplyResult && num <= FieldReplyBatchResults:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			// A oneof: the last one set wins, as in protobuf.
			out.JSON, out.Value, out.Failure, batch, isBatch = nil, nil, nil, nil, false
			switch num {
			case FieldReplyResult:
				out.Value = b
			case FieldReplyFailure:
				f, err := parseFailure(b)
				if err != nil {
					return err
				}
				out.Failure = f
			case FieldReplyResultJSON:
				out.JSON = b
				if out.JSON == nil {
					out.JSON = []byte{}
				}
			case FieldReplyBatchResults:
				batch, isBatch = b, true
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return ErrMalformedReply
		}
		data = data[n:]
	}
	if !isBatch {
		fn(out)
		return nil
	}
	id := out.ID
	return SplitJSONArray(batch, func(elem []byte) {
		fn(Outcome{ID: id, JSON: elem})
		id++
	})
}

func parseFailure(data []byte) (*Failure, error) {
	f := &Failure{}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, ErrMalformedReply
		}
		data = data[n:]
		switch {
		case num == FieldFailureCode && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(data)
			f.Code = int32(v)
		case num == FieldFailureMessage && typ == protowire.BytesType:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			f.Message = string(b)
		case num == FieldFailureType && typ == protowire.BytesType:
			var b []byte
			b, n = protowire.ConsumeBytes(data)
			f.Type = string(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return nil, ErrMalformedReply
		}
		data = data[n:]
	}
	return f, nil
}

// appendReplyHead appends the tag and length of a Reply whose body holds the
// id and one outcome field of n bytes of content.
func appendReplyHead(buf []byte, id uint64, field protowire.Number, n int) []byte {
	body := protowire.SizeTag(FieldReplyID) + protowire.SizeVarint(id) + protowire.SizeTag(field) + protowire.SizeBytes(n)
	buf = protowire.AppendTag(buf, FieldFrameEntries, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(body))
	buf = protowire.AppendTag(buf, FieldReplyID, protowire.VarintType)
	buf = protowire.AppendVarint(buf, id)
	buf = protowire.AppendTag(buf, field, protowire.BytesType)
	return protowire.AppendVarint(buf, uint64(n))
}

// ReplySize is the size of a Reply entry with n bytes of outcome.
func ReplySize(id uint64, n int) int {
	body := protowire.SizeTag(FieldReplyID) + protowire.SizeVarint(id) + protowire.SizeTag(FieldReplyResultJSON) + protowire.SizeBytes(n)
	return protowire.SizeTag(FieldFrameEntries) + protowire.SizeBytes(body)
}

// AppendResultJSON appends a Reply with result_json.
func AppendResultJSON(buf []byte, id uint64, result []byte) []byte {
	return append(appendReplyHead(buf, id, FieldReplyResultJSON, len(result)), result...)
}

// AppendResultValue appends a Reply with result, an encoded google.protobuf.Value.
func AppendResultValue(buf []byte, id uint64, value []byte) []byte {
	return append(appendReplyHead(buf, id, FieldReplyResult, len(value)), value...)
}

// AppendBatchResults appends a Reply whose batch_results_json is the JSON
// array of results, each already JSON text: call firstID + i has result i.
func AppendBatchResults(buf []byte, firstID uint64, results [][]byte) []byte {
	n := 1 + len(results) // the brackets and the commas
	for _, r := range results {
		n += len(r)
	}
	buf = appendReplyHead(buf, firstID, FieldReplyBatchResults, n)
	buf = append(buf, '[')
	for i, r := range results {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r...)
	}
	return append(buf, ']')
}

// AppendFailure appends a Reply with a failure.
func AppendFailure(buf []byte, id uint64, f Failure) []byte {
	n := 0
	if f.Code != 0 {
		n += protowire.SizeTag(FieldFailureCode) + protowire.SizeVarint(uint64(f.Code))
	}
	if f.Message != "" {
		n += protowire.SizeTag(FieldFailureMessage) + protowire.SizeBytes(len(f.Message))
	}
	if f.Type != "" {
		n += protowire.SizeTag(FieldFailureType) + protowire.SizeBytes(len(f.Type))
	}
	buf = appendReplyHead(buf, id, FieldReplyFailure, n)
	if f.Code != 0 {
		buf = protowire.AppendTag(buf, FieldFailureCode, protowire.VarintType)
		buf = protowire.AppendVarint(buf, uint64(f.Code))
	}
	if f.Message != "" {
		buf = protowire.AppendTag(buf, FieldFailureMessage, protowire.BytesType)
		buf = protowire.AppendString(buf, f.Message)
	}
	if f.Type != "" {
		buf = protowire.AppendTag(buf, FieldFailureType, protowire.BytesType)
		buf = protowire.AppendString(buf, f.Type)
	}
	return buf
}
