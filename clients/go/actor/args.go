package actor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// decodeJSON reads JSON text into Go values (float64 numbers), refusing
// integers beyond ±(2^53 - 1) as every server must (their literal has more
// than 15 digits; only then are numbers looked at one by one).
func decodeJSON(data []byte) (any, error) {
	var v any
	if !hasLongDigitRun(data) {
		err := json.Unmarshal(data, &v)
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("text after the JSON value")
	}
	return numbersToFloat(v, "")
}

func hasLongDigitRun(data []byte) bool {
	run := 0
	for _, c := range data {
		if c >= '0' && c <= '9' {
			run++
			if run > 15 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func numbersToFloat(v any, path string) (any, error) {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !bytes.ContainsAny([]byte(s), ".eE") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n > wire.MaxSafeInteger || n < -wire.MaxSafeInteger {
				return nil, &wire.ShapeError{Path: path, Why: wire.IntOutOfRange(s)}
			}
			return float64(n), nil
		}
		return x.Float64()
	case []any:
		for i, item := range x {
			f, err := numbersToFloat(item, wire.IndexPath(path, i))
			if err != nil {
				return nil, err
			}
			x[i] = f
		}
	case map[string]any:
		for k, item := range x {
			f, err := numbersToFloat(item, wire.KeyPath(path, k))
			if err != nil {
				return nil, err
			}
			x[k] = f
		}
	}
	return v, nil
}

// jsonArgs reads args_json (an array) and kwargs_json (an object, optional).
func jsonArgs(argsJSON, kwargsJSON []byte) ([]any, map[string]any, error) {
	v, err := decodeJSON(argsJSON)
	if err != nil {
		return nil, nil, InvalidArgument("args_json / kwargs_json is not valid JSON: %v", err)
	}
	args, ok := v.([]any)
	if !ok {
		return nil, nil, InvalidArgument("args_json must be a JSON array, kwargs_json a JSON object")
	}
	if len(kwargsJSON) == 0 {
		return args, nil, nil
	}
	if v, err = decodeJSON(kwargsJSON); err != nil {
		return nil, nil, InvalidArgument("args_json / kwargs_json is not valid JSON: %v", err)
	}
	kwargs, ok := v.(map[string]any)
	if !ok {
		return nil, nil, InvalidArgument("args_json must be a JSON array, kwargs_json a JSON object")
	}
	return args, kwargs, nil
}

// batchArgs reads batch_args_json: an array of argument arrays.
func batchArgs(data []byte) ([]any, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, InvalidArgument("batch_args_json must be a JSON array of argument arrays (%v)", err)
	}
	calls, ok := v.([]any)
	if !ok {
		return nil, InvalidArgument("batch_args_json must be a JSON array of argument arrays (a JSON %T)", v)
	}
	return calls, nil
}

// valueArgs reads the protobuf form (Arguments, CallRequest).
func valueArgs(args *structpb.ListValue, kwargs *structpb.Struct) ([]any, map[string]any, error) {
	out := args.AsSlice()
	for i, v := range out {
		if err := checkNumbers(v, wire.IndexPath("args", i)); err != nil {
			return nil, nil, err
		}
	}
	var kw map[string]any
	if len(kwargs.GetFields()) > 0 {
		kw = kwargs.AsMap()
		if err := checkNumbers(kw, "kwargs"); err != nil {
			return nil, nil, err
		}
	}
	return out, kw, nil
}

// checkNumbers refuses integral doubles beyond the safe range (and the
// non-finite ones protobuf can carry).
func checkNumbers(v any, path string) error {
	_, err := wire.AppendJSON(nil, v, path)
	if err != nil {
		return InvalidArgument("%v", err)
	}
	return nil
}

// encodeResult is a command's result as JSON text.
func encodeResult(action string, result any) ([]byte, error) {
	data, err := wire.AppendJSON(nil, result, "result")
	if err != nil {
		return nil, &protocolError{code: codes.Unknown, class: "CommandError",
			msg: fmt.Sprintf("the result of '%s' is not JSON-shaped: %v", action, err)}
	}
	return data, nil
}

// valueResult is a command's result as an encoded google.protobuf.Value.
func valueResult(action string, result any) (*structpb.Value, error) {
	data, err := encodeResult(action, result)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	v, err := structpb.NewValue(generic)
	if err != nil {
		return nil, &protocolError{code: codes.Unknown, class: "CommandError",
			msg: fmt.Sprintf("the result of '%s' is not JSON-shaped: %v", action, err)}
	}
	return v, nil
}

func marshalValue(v *structpb.Value) []byte {
	data, _ := proto.Marshal(v) // a Value built from JSON always marshals
	return data
}
