package actorgrpc

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValuesRoundTrip(t *testing.T) {
	type point struct {
		X int    `json:"x"`
		Y string `json:"y,omitempty"`
	}
	in := []any{
		nil, true, "hé", 3, int64(-7), uint8(8), float32(0.5), 2.5,
		[]any{1, "two", []any{3}, map[string]any{"four": 4}},
		map[string]any{"nested": map[string]any{"list": []string{"a", "b"}}},
		point{X: 1},
		[]int{1, 2},
		map[string]int{"k": 1},
		json.RawMessage(`{"raw":[null]}`),
	}
	want := []any{
		nil, true, "hé", 3.0, -7.0, 8.0, 0.5, 2.5,
		[]any{1.0, "two", []any{3.0}, map[string]any{"four": 4.0}},
		map[string]any{"nested": map[string]any{"list": []any{"a", "b"}}},
		map[string]any{"x": 1.0},
		[]any{1.0, 2.0},
		map[string]any{"k": 1.0},
		map[string]any{"raw": []any{nil}},
	}
	l, err := toList(in, "args")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range l.GetValues() {
		if got := fromValue(v); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("[%d] %#v came back as %#v, want %#v", i, in[i], got, want[i])
		}
	}
}

func TestValuesRefuseWhatHasNoJSONShape(t *testing.T) {
	if _, err := toList([]any{1, map[string]any{"ch": make(chan int)}}, "args"); err == nil {
		t.Fatal("a channel was accepted")
	} else if got := err.Error(); !strings.HasPrefix(got, "args[1].ch: ") {
		t.Errorf("the error does not say where: %q", got)
	}
	if l, err := toList(nil, "args"); l != nil || err != nil {
		t.Errorf("toList(nil) = %v, %v; want no args", l, err)
	}
	if fromValue(nil) != nil {
		t.Errorf("an unset Value is not nil")
	}
}

// toValue (ArbiterService.Send's form) applies the number policy of the
// direct path's JSON, with the same words.
func TestValuesNumberPolicy(t *testing.T) {
	for _, ok := range []any{MaxSafeInteger, -MaxSafeInteger, uint64(MaxSafeInteger), 1.5, 1e300} {
		if _, err := toValue(ok, "args[0]"); err != nil {
			t.Errorf("toValue(%#v) refused: %v", ok, err)
		}
	}
	const spec = "is out of range: JSON-shaped values carry integers within ±(2^53 - 1)"
	for v, msg := range map[any]string{
		MaxSafeInteger + 1:          "args[0]: integer 9007199254740992 " + spec,
		uint64(1 << 63):             "args[0]: integer 9223372036854775808 " + spec,
		math.NaN():                  "args[0]: number NaN is out of range: JSON-shaped values carry no NaN or infinities",
		float32(math.Inf(1)):        "args[0]: number +Inf is out of range: JSON-shaped values carry no NaN or infinities",
		int(-(MaxSafeInteger + 10)): "args[0]: integer -9007199254741001 " + spec,
	} {
		if _, err := toValue(v, "args[0]"); err == nil || err.Error() != msg {
			t.Errorf("toValue(%#v): %v, want %q", v, err, msg)
		}
	}
	type big struct {
		N int64 `json:"n"`
	}
	if _, err := toValue([]big{{N: 1 << 60}}, "extra"); err == nil || err.Error() != "extra[0].n: integer 1152921504606846976 "+spec {
		t.Errorf("toValue of a struct: %v", err)
	}
}
