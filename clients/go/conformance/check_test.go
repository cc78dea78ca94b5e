package conformance

import (
	"encoding/json"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// The checker itself must be able to fail: these run without an arbiter.
func TestCheck(t *testing.T) {
	parse := func(s string) Expect {
		var e Expect
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	notFound := &actorgrpc.Error{Op: "send", Code: codes.NotFound, Message: "no actor go-x"}
	cases := []struct {
		expect string
		got    any
		err    error
		ok     bool
	}{
		{`{"ok": true}`, nil, nil, true},
		{`{"ok": true}`, nil, notFound, false},
		{`{"result": null}`, nil, nil, true},
		{`{"result": null}`, 0.0, nil, false},
		{`{"result": 5}`, 5.0, nil, true},
		{`{"result": 5}`, "5", nil, false},
		{`{"result": {"a": [1, "{prefix}x"]}}`, map[string]any{"a": []any{1.0, "go-x"}}, nil, true},
		{`{"result": {"a": [1]}}`, map[string]any{"a": []any{1.0}, "b": nil}, nil, false},
		{`{"code": "NOT_FOUND"}`, nil, notFound, true},
		{`{"code": "NOT_FOUND", "message_contains": "{prefix}x"}`, nil, notFound, true},
		{`{"code": "NOT_FOUND", "message_contains": "py-x"}`, nil, notFound, false},
		{`{"code": "UNKNOWN"}`, nil, notFound, false},
		{`{"code": "NOT_FOUND"}`, "pong", nil, false},
		{`{"info_has": ["actor"]}`, map[string]any{"actor": nil}, nil, true},
		{`{"info_has": ["actor", "system"]}`, map[string]any{"actor": nil}, nil, false},
		{`{"names": ["a", "!b"]}`, []string{"go-a", "b"}, nil, true},
		{`{"names": ["a"]}`, []string{"a"}, nil, false},
		{`{"names": []}`, []string{}, nil, true},
		{`{}`, nil, nil, false},
	}
	for _, c := range cases {
		err := check(parse(c.expect), c.got, c.err)
		if (err == nil) != c.ok {
			t.Errorf("check(%s, %#v, %v) = %v; want ok=%v", c.expect, c.got, c.err, err, c.ok)
		}
	}
}

func TestTarget(t *testing.T) {
	for in, want := range map[string]string{"w": "go-w", "!arbiter": "arbiter", "!": "", "": "go-"} {
		if got := target(in); got != want {
			t.Errorf("target(%q) = %q, want %q", in, got, want)
		}
	}
}
