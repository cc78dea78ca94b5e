package actorgrpc

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"
)

// toValue converts a Go value to a JSON-shaped protobuf Value.
//
// nil, bool, string, every integer and float type, []any, map[string]any and
// *structpb.Value are converted directly; anything else (structs, typed slices
// and maps, json.RawMessage, ...) goes through encoding/json, so it is sent
// the way json.Marshal would write it. Numbers travel as float64: integers
// beyond ±2^53 lose precision.
func toValue(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case *structpb.Value:
		return x, nil
	case []any:
		l, err := toList(x)
		if err != nil {
			return nil, err
		}
		return structpb.NewListValue(l), nil
	case map[string]any:
		s, err := toStruct(x)
		if err != nil {
			return nil, err
		}
		return structpb.NewStructValue(s), nil
	case nil, bool, string, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, float32, float64:
		return structpb.NewValue(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%T has no JSON shape: %w", v, err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("%T has no JSON shape: %w", v, err)
	}
	return toValue(generic)
}

// toList converts positional arguments; nil stays nil (no args).
func toList(items []any) (*structpb.ListValue, error) {
	if items == nil {
		return nil, nil
	}
	l := &structpb.ListValue{Values: make([]*structpb.Value, len(items))}
	for i, item := range items {
		v, err := toValue(item)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		l.Values[i] = v
	}
	return l, nil
}

// toStruct converts keyword arguments; nil stays nil (no kwargs).
func toStruct(m map[string]any) (*structpb.Struct, error) {
	if m == nil {
		return nil, nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(m))}
	for k, item := range m {
		v, err := toValue(item)
		if err != nil {
			return nil, fmt.Errorf("[%q]: %w", k, err)
		}
		s.Fields[k] = v
	}
	return s, nil
}

// fromValue converts a protobuf Value back to Go: nil, bool, float64, string,
// []any or map[string]any (see structpb.Value.AsInterface). An unset Value is nil.
func fromValue(v *structpb.Value) any {
	if v == nil {
		return nil
	}
	return v.AsInterface()
}
