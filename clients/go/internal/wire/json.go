// Package wire is the mailbox stream's encoding, shared by the client
// (package actorgrpc) and the actor SDK (package actor): JSON-shaped values
// with the protocol's number policy, envelopes and replies written and read
// by hand with protowire, and the codecs that carry them as bytes.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// MaxSafeInteger is the largest integer a JSON-shaped value may carry: every
// integer within ±MaxSafeInteger is exact in a double (JavaScript's
// Number.MAX_SAFE_INTEGER). Larger ones are refused before sending.
const MaxSafeInteger = 1<<53 - 1

// IntOutOfRange is why an integer is refused; the text is the protocol's
// (docs/actor-protocol.md §1), so every client refuses with the same words.
func IntOutOfRange(n string) string {
	return "integer " + n + " is out of range: JSON-shaped values carry integers within ±(2^53 - 1)"
}

// NotFinite is why NaN and the infinities are refused.
func NotFinite(f float64) string {
	return "number " + strconv.FormatFloat(f, 'g', -1, 64) +
		" is out of range: JSON-shaped values carry no NaN or infinities"
}

// ShapeError says where in the arguments a value is not JSON-shaped.
type ShapeError struct {
	Path string // "args[0].k", relative to the value given to AppendJSON
	Why  string
}

func (e *ShapeError) Error() string {
	if e.Path == "" {
		return e.Why
	}
	return e.Path + ": " + e.Why
}

// Within prefixes err's path with the place of its container: paths are
// built only for errors, on the way out, never for values that encode.
func Within(err error, prefix string) error {
	if se, ok := err.(*ShapeError); ok {
		se.Path = prefix + se.Path
	}
	return err
}

// AppendJSON appends v as compact JSON text, refusing what has no JSON shape
// and numbers outside the protocol's range. path names v in errors ("args[0]").
//
// The common Go values (nil, bool, strings, numbers, []any, map[string]any,
// []string, json.RawMessage) are written directly; anything else goes through
// encoding/json and its numbers are checked afterwards.
func AppendJSON(buf []byte, v any, path string) ([]byte, error) {
	// The common scalars here, the rest in appendOther: this function's stack
	// frame stays small, which matters to the fresh goroutines callers often
	// send from (a deep first call makes the runtime grow their stacks).
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return AppendString(buf, x), nil
	case bool:
		if x {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case int:
		return appendInt(buf, int64(x), path)
	case float64:
		return appendFloat(buf, x, 64, path)
	}
	return appendOther(buf, v, path)
}

//go:noinline
func appendOther(buf []byte, v any, path string) ([]byte, error) {
	switch x := v.(type) {
	case int64:
		return appendInt(buf, x, path)
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case uint:
		return appendUint(buf, uint64(x), path)
	case uint64:
		return appendUint(buf, x, path)
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case float32:
		return appendFloat(buf, float64(x), 32, path)
	case []any:
		buf = append(buf, '[')
		for i, item := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = AppendJSON(buf, item, ""); err != nil {
				return buf, Within(err, IndexPath(path, i))
			}
		}
		return append(buf, ']'), nil
	case []string:
		buf = append(buf, '[')
		for i, s := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, s)
		}
		return append(buf, ']'), nil
	case map[string]any:
		buf = append(buf, '{')
		first := true
		for k, item := range x {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = AppendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = AppendJSON(buf, item, ""); err != nil {
				return buf, Within(err, KeyPath(path, k))
			}
		}
		return append(buf, '}'), nil
	case json.RawMessage:
		return AppendViaEncodingJSON(buf, x, path)
	}
	return AppendViaEncodingJSON(buf, v, path)
}

func appendInt(buf []byte, n int64, path string) ([]byte, error) {
	if n > MaxSafeInteger || n < -MaxSafeInteger {
		return buf, &ShapeError{path, IntOutOfRange(strconv.FormatInt(n, 10))}
	}
	return strconv.AppendInt(buf, n, 10), nil
}

func appendUint(buf []byte, n uint64, path string) ([]byte, error) {
	if n > MaxSafeInteger {
		return buf, &ShapeError{path, IntOutOfRange(strconv.FormatUint(n, 10))}
	}
	return strconv.AppendUint(buf, n, 10), nil
}

// appendFloat writes a finite float. An integral float beyond the safe range
// is written with an exponent, so that no receiver reads it as an integer
// (which the protocol would refuse): it is a double, and stays one.
func appendFloat(buf []byte, f float64, bits int, path string) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return buf, &ShapeError{path, NotFinite(f)}
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(buf, f, 'e', -1, bits), nil
	}
	if math.Abs(f) > MaxSafeInteger && f == math.Trunc(f) {
		return strconv.AppendFloat(buf, f, 'e', -1, bits), nil
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits), nil
}

// AppendViaEncodingJSON writes what the fast path does not know (structs,
// typed slices and maps, json.RawMessage, json.Marshaler) with encoding/json,
// then checks the numbers it wrote against the protocol's range.
func AppendViaEncodingJSON(buf []byte, v any, path string) ([]byte, error) {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map && rv.Type().Key().Kind() != reflect.String {
		// encoding/json would write int keys as strings; the protocol's objects
		// have string keys, and a map[int]T is almost always a mistake.
		return buf, &ShapeError{path, fmt.Sprintf("a %T has keys that are not strings", v)}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return buf, &ShapeError{path, fmt.Sprintf("a %T has no JSON shape: %v", v, err)}
	}
	if err := checkJSONNumbers(data, path); err != nil {
		return buf, err
	}
	// json.Marshal escapes <, > and & for HTML: harmless, and equal JSON.
	return append(buf, data...), nil
}

// checkJSONNumbers refuses integers beyond the safe range in JSON text.
func checkJSONNumbers(data []byte, path string) error {
	if !bytes.ContainsAny(data, "0123456789") {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return &ShapeError{path, "not valid JSON: " + err.Error()}
	}
	return walkNumbers(generic, path)
}

func walkNumbers(v any, path string) error {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if bytes.ContainsAny([]byte(s), ".eE") {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > MaxSafeInteger || n < -MaxSafeInteger {
			return &ShapeError{path, IntOutOfRange(s)}
		}
	case []any:
		for i, item := range x {
			if err := walkNumbers(item, IndexPath(path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, item := range x {
			if err := walkNumbers(item, KeyPath(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// IndexPath is path[i].
func IndexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// KeyPath is path.key.
func KeyPath(path, key string) string { return path + "." + key }

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
