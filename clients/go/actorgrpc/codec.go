package actorgrpc

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// rawCodec carries the mailbox stream's messages as bytes already encoded
// (frames, see wire.go) or still to be parsed (replies). Its name is "proto"
// so that the content type on the wire stays application/grpc+proto: the
// bytes are protobuf.
type rawCodec struct{}

var _ encoding.CodecV2 = rawCodec{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot send a %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

// Unmarshal copies the message out of gRPC's buffers (they are reused once
// this returns): the replies' results are decoded later by their callers.
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot receive into a %T", v)
	}
	*p = data.Materialize()
	return nil
}
