package wire

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func encodeJSON(v any) (string, error) {
	b, err := AppendJSON(nil, v, "args[0]")
	return string(b), err
}

// The protocol's number policy: integers within ±(2^53 - 1), no NaN or
// infinities, refused with the protocol's words and where they are.
func TestNumberPolicy(t *testing.T) {
	const spec = "is out of range: JSON-shaped values carry integers within ±(2^53 - 1)"
	for _, ok := range []any{MaxSafeInteger, -MaxSafeInteger, int64(MaxSafeInteger), uint64(MaxSafeInteger), 0, 1.5, 1e300, -1e-300, float32(2.5)} {
		if _, err := encodeJSON(ok); err != nil {
			t.Errorf("%#v refused: %v", ok, err)
		}
	}
	for v, msg := range map[any]string{
		MaxSafeInteger + 1:          "args[0]: integer 9007199254740992 " + spec,
		-MaxSafeInteger - 1:         "args[0]: integer -9007199254740992 " + spec,
		uint64(math.MaxUint64):      "args[0]: integer 18446744073709551615 " + spec,
		math.NaN():                  "args[0]: number NaN is out of range: JSON-shaped values carry no NaN or infinities",
		math.Inf(-1):                "args[0]: number -Inf is out of range: JSON-shaped values carry no NaN or infinities",
		float32(math.Inf(1)):        "args[0]: number +Inf is out of range: JSON-shaped values carry no NaN or infinities",
		int64(math.MinInt64):        "args[0]: integer -9223372036854775808 " + spec,
		uint(MaxSafeInteger + 1):    "args[0]: integer 9007199254740992 " + spec,
		int(-(MaxSafeInteger + 10)): "args[0]: integer -9007199254741001 " + spec,
	} {
		_, err := encodeJSON(v)
		if err == nil || err.Error() != msg {
			t.Errorf("%#v: %v, want %q", v, err, msg)
		}
	}
	// Nested, and through encoding/json: the path names the value.
	type big struct {
		N int64 `json:"n"`
	}
	_, err := encodeJSON(map[string]any{"l": []any{1, big{N: 1 << 60}}})
	if err == nil || !strings.HasPrefix(err.Error(), "args[0].l[1].n: integer 1152921504606846976 is out of range") {
		t.Errorf("nested struct: %v", err)
	}
}

// An integral float beyond the safe range stays a float on the wire: written
// with an exponent, it is never read as an out-of-range integer.
func TestLargeFloatsKeepAnExponent(t *testing.T) {
	for v, want := range map[float64]string{
		1 << 60:        "1.152921504606847e+18",
		1e21:           "1e+21",
		2.5:            "2.5",
		5:              "5",
		-0.25:          "-0.25",
		1e-7:           "1e-07",
		MaxSafeInteger: "9007199254740991",
	} {
		got, err := encodeJSON(v)
		if err != nil || got != want {
			t.Errorf("%v: %q, %v; want %q", v, got, err, want)
		}
	}
}

func TestJSONStrings(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "tab\t nl\n cr\r nul\x00 bell\x07",
		"hé ✓ 𝄞", "<script>&amp;", "\u2028\u2029"} {
		got, err := encodeJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != s {
			t.Errorf("%q encoded as %s reads back as %q, %v", s, got, back, err)
		}
	}
	// Invalid UTF-8 becomes U+FFFD, as encoding/json writes it.
	got, _ := encodeJSON("a\xffb")
	if got != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8 encoded as %s", got)
	}
}

// What the fast path writes reads back as encoding/json would have written it.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	type point struct {
		X int    `json:"x"`
		Y string `json:"y,omitempty"`
	}
	for _, v := range []any{
		nil, true, false, 0, -7, uint8(200), int16(-3), 3.25,
		[]any{1, "two", []any{3}, map[string]any{"four": 4.5}},
		map[string]any{"nested": map[string]any{"list": []string{"a", "b"}}},
		[]string{}, []any{}, map[string]any{},
		point{X: 1}, []int{1, 2}, map[string]int{"k": 1}, json.RawMessage(`{"raw":[null]}`),
	} {
		got, err := encodeJSON(v)
		if err != nil {
			t.Errorf("%#v: %v", v, err)
			continue
		}
		ref, _ := json.Marshal(v)
		var a, b any
		if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal(ref, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%#v: wrote %s, encoding/json %s", v, got, ref)
		}
	}
}

func TestJSONRefusesWhatHasNoShape(t *testing.T) {
	var shape *ShapeError
	for _, v := range []any{make(chan int), func() {}, map[int]string{1: "a"}, complex(1, 2),
		[]any{1, map[string]any{"f": func() {}}}} {
		if _, err := encodeJSON(v); !errors.As(err, &shape) {
			t.Errorf("%T accepted: %v", v, err)
		}
	}
}
