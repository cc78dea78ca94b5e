package actorgrpc

import (
	"encoding/json"
	"math"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// toValue converts a Go value to a JSON-shaped protobuf Value (the form of
// ArbiterService.Send and of Spawn's extra), with the number policy of
// wire.AppendJSON: integers beyond ±MaxSafeInteger, NaN and infinities are refused.
//
// nil, bool, string, every integer and float type, []any, map[string]any and
// *structpb.Value are converted directly; anything else goes through
// encoding/json (checked the same way).
func toValue(v any, path string) (*structpb.Value, error) {
	switch x := v.(type) {
	case *structpb.Value:
		return x, nil
	case nil:
		return structpb.NewNullValue(), nil
	case bool:
		return structpb.NewBoolValue(x), nil
	case string:
		return structpb.NewStringValue(x), nil
	case []any:
		l, err := toList(x, path)
		if err != nil {
			return nil, err
		}
		if l == nil {
			l = &structpb.ListValue{}
		}
		return structpb.NewListValue(l), nil
	case map[string]any:
		s, err := toStruct(x, path)
		if err != nil {
			return nil, err
		}
		if s == nil {
			s = &structpb.Struct{}
		}
		return structpb.NewStructValue(s), nil
	case int:
		return intValue(int64(x), path)
	case int64:
		return intValue(x, path)
	case int32:
		return structpb.NewNumberValue(float64(x)), nil
	case int16:
		return structpb.NewNumberValue(float64(x)), nil
	case int8:
		return structpb.NewNumberValue(float64(x)), nil
	case uint:
		return uintValue(uint64(x), path)
	case uint64:
		return uintValue(x, path)
	case uint32:
		return structpb.NewNumberValue(float64(x)), nil
	case uint16:
		return structpb.NewNumberValue(float64(x)), nil
	case uint8:
		return structpb.NewNumberValue(float64(x)), nil
	case float64:
		return floatValue(x, path)
	case float32:
		return floatValue(float64(x), path)
	}
	// Everything else as encoding/json writes it, checked by wire.AppendJSON.
	raw, err := wire.AppendViaEncodingJSON(nil, v, path)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, &wire.ShapeError{Path: path, Why: "not valid JSON: " + err.Error()}
	}
	return toValue(generic, path)
}

func intValue(n int64, path string) (*structpb.Value, error) {
	if n > MaxSafeInteger || n < -MaxSafeInteger {
		return nil, &wire.ShapeError{Path: path, Why: wire.IntOutOfRange(strconv.FormatInt(n, 10))}
	}
	return structpb.NewNumberValue(float64(n)), nil
}

func uintValue(n uint64, path string) (*structpb.Value, error) {
	if n > MaxSafeInteger {
		return nil, &wire.ShapeError{Path: path, Why: wire.IntOutOfRange(strconv.FormatUint(n, 10))}
	}
	return structpb.NewNumberValue(float64(n)), nil
}

func floatValue(f float64, path string) (*structpb.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &wire.ShapeError{Path: path, Why: wire.NotFinite(f)}
	}
	return structpb.NewNumberValue(f), nil
}

// toList converts positional arguments; nil stays nil (no args).
func toList(items []any, path string) (*structpb.ListValue, error) {
	if items == nil {
		return nil, nil
	}
	l := &structpb.ListValue{Values: make([]*structpb.Value, len(items))}
	for i, item := range items {
		v, err := toValue(item, wire.IndexPath(path, i))
		if err != nil {
			return nil, err
		}
		l.Values[i] = v
	}
	return l, nil
}

// toStruct converts keyword arguments; nil stays nil (no kwargs).
func toStruct(m map[string]any, path string) (*structpb.Struct, error) {
	if m == nil {
		return nil, nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(m))}
	for k, item := range m {
		v, err := toValue(item, wire.KeyPath(path, k))
		if err != nil {
			return nil, err
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
