package wire

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec ServerCodec uses
	"google.golang.org/grpc/mem"
)

// RawCodec carries the mailbox stream's messages as bytes already encoded
// (frames, see wire.go) or still to be parsed (replies). Its name is "proto"
// so that the content type on the wire stays application/grpc+proto: the
// bytes are protobuf.
type RawCodec struct{}

var _ encoding.CodecV2 = RawCodec{}

func (RawCodec) Name() string { return "proto" }

func (RawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("RawCodec: cannot send a %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

// Unmarshal copies the message out of gRPC's buffers (they are reused once
// this returns): the replies' results are decoded later by their callers.
func (RawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("RawCodec: cannot receive into a %T", v)
	}
	*p = data.Materialize()
	return nil
}

// ServerCodec is a server's codec when some of its handlers read and write
// raw bytes (the mailbox stream) and others protobuf messages (Call, health,
// reflection): []byte and *[]byte are raw, anything else is protobuf.
type ServerCodec struct{}

var _ encoding.CodecV2 = ServerCodec{}

var protoCodec = encoding.GetCodecV2("proto")

func (ServerCodec) Name() string { return "proto" }

func (ServerCodec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := v.([]byte); ok {
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return protoCodec.Marshal(v)
}

func (ServerCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if p, ok := v.(*[]byte); ok {
		*p = data.Materialize()
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}
