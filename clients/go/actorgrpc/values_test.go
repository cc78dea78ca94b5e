package actorgrpc

import (
	"encoding/json"
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
