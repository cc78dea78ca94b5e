// Package conformance runs the shared wire conformance cases
// (tests/conformance/cases.json at the repo root) through the Go client, on
// either data path: "send" steps go through SendViaArbiter (ArbiterService)
// or straight to the actor's mailbox (Send); the other steps use the control
// plane. With Runner.Program, spawned actors are exec actors running that
// program (the Go demo actor), except where a step asks for a kind or hooks
// of its own (those are Python's).
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// Prefix is the Go runner's prefix for actor names and for `{prefix}` in
// expected strings.
const Prefix = "go-"

// CasesPath is where the cases are, relative to the Go module root (clients/go).
const CasesPath = "../../tests/conformance/cases.json"

// Suite is the content of cases.json.
type Suite struct {
	Cases []Case `json:"cases"`
}

// Case is a named sequence of steps, run in order.
type Case struct {
	Name  string `json:"name"`
	Steps []Step `json:"steps"`
}

// Step is one call and what it must give.
type Step struct {
	Op      string         `json:"op"`
	Request map[string]any `json:"request"`
	Expect  Expect         `json:"expect"`
}

// Expect is one of: OK, Result (Result set, possibly to null), Code (with
// MessageContains), InfoHas, Names.
type Expect struct {
	OK              bool            `json:"ok"`
	Result          json.RawMessage `json:"result"`
	Code            string          `json:"code"`
	MessageContains string          `json:"message_contains"`
	InfoHas         []string        `json:"info_has"`
	Names           []string        `json:"names"`
}

// Load reads a cases file.
func Load(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Suite
	// Numbers as written: an integer in a case is an integer (int64), as it is in
	// Python's and Node's runners, so the number policy applies to it.
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	if err := decoder.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Cases) == 0 {
		return nil, fmt.Errorf("%s: no cases", path)
	}
	for _, c := range s.Cases {
		for _, step := range c.Steps {
			for key, value := range step.Request {
				step.Request[key] = numbersOf(value)
			}
		}
	}
	return &s, nil
}

// numbersOf turns the json.Numbers of a decoded value into int64 (integers that fit)
// or float64 (the rest).
func numbersOf(value any) any {
	switch v := value.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = numbersOf(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbersOf(v[k])
		}
	}
	return value
}

// target maps a name of the cases to the name the Go runner uses: prefixed,
// unless it starts with '!' (then used verbatim, without the '!').
func target(name string) string {
	if rest, ok := strings.CutPrefix(name, "!"); ok {
		return rest
	}
	return Prefix + name
}

// StepTimeout bounds one step: a spawn starts a Python process (well under a
// second), a stop waits for it to exit; 20 s leaves room for a loaded machine.
const StepTimeout = 20 * time.Second

// Path is how "send" steps reach the actor.
type Path string

// The two data paths.
const (
	// ViaArbiter sends with ArbiterService.Send (SendCommandViaArbiter).
	ViaArbiter Path = "via-arbiter"
	// Direct sends to the actor's MailboxService stream (SendCommand).
	Direct Path = "direct"
)

// Paths are both data paths, in the order the runner uses them.
var Paths = []Path{ViaArbiter, Direct}

// Runner runs cases with one client.
type Runner struct {
	Client *actorgrpc.Client
	// Path is how "send" steps go.
	Path Path
	// Program, when set, makes spawn steps that name no kind and no hooks
	// spawn exec actors of this registered program.
	Program string
}

// RunCase runs the steps of c in order and returns the failure of the first
// step that does not meet its expectation, or nil.
func (r *Runner) RunCase(ctx context.Context, cs Case) error {
	for i, step := range cs.Steps {
		if err := r.runStep(ctx, step); err != nil {
			req, _ := json.Marshal(step.Request)
			return fmt.Errorf("step %d (%s %s, %s): %w", i+1, step.Op, req, r.Path, err)
		}
	}
	return nil
}

// Cleanup stops the actors the steps of cs spawn, ignoring errors, so that a
// failed case leaves nothing behind.
func Cleanup(ctx context.Context, c *actorgrpc.Client, cs Case) {
	for _, step := range cs.Steps {
		if step.Op != "spawn" {
			continue
		}
		if name, _ := step.Request["name"].(string); name != "" {
			_, _ = c.Stop(ctx, target(name))
		}
	}
}

func (r *Runner) runStep(parent context.Context, step Step) error {
	c := r.Client
	ctx, cancel := context.WithTimeout(parent, StepTimeout)
	defer cancel()
	req := step.Request
	str := func(key string) string { s, _ := req[key].(string); return s }

	var result any
	var err error
	switch step.Op {
	case "spawn":
		kind, kerr := actorgrpc.ParseKind(str("kind"))
		if kerr != nil {
			return fmt.Errorf("bad kind in the case: %w", kerr)
		}
		o := actorgrpc.SpawnOptions{
			Name:         target(str("name")),
			Kind:         kind,
			Start:        str("start"),
			Stopping:     str("stopping"),
			PeriodicTask: str("periodic_task"),
			Program:      str("program"),
		}
		if r.Program != "" && o.Kind == actorgrpc.KindUnspecified && o.Start == "" && o.Stopping == "" && o.PeriodicTask == "" {
			o.Kind, o.Program = actorgrpc.KindExec, r.Program
		}
		_, err = c.Spawn(ctx, o)
	case "send":
		cmd := actorgrpc.Command{Target: target(str("target")), Action: str("action")}
		if args, ok := req["args"].([]any); ok {
			cmd.Args = args
		}
		if kwargs, ok := req["kwargs"].(map[string]any); ok {
			cmd.Kwargs = kwargs
		}
		if t, ok := req["timeout_seconds"].(float64); ok {
			cmd.Timeout = time.Duration(t * float64(time.Second))
		}
		if r.Path == Direct {
			result, err = c.SendCommand(ctx, cmd)
		} else {
			result, err = c.SendCommandViaArbiter(ctx, cmd)
		}
	case "info":
		result, err = c.Info(ctx, target(str("target")))
	case "stop":
		_, err = c.Stop(ctx, target(str("target")))
	case "list_actors":
		var actors []actorgrpc.ActorSummary
		actors, err = c.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: target(str("name_prefix"))})
		names := []string{}
		for _, a := range actors {
			names = append(names, a.Actor.Name)
		}
		result = names
	default:
		return fmt.Errorf("unknown op %q", step.Op)
	}
	return check(step.Expect, result, err)
}

func check(want Expect, got any, err error) error {
	if want.Code != "" {
		code, ok := actorgrpc.ParseCode(want.Code)
		if !ok {
			return fmt.Errorf("unknown code %q in the case", want.Code)
		}
		var e *actorgrpc.Error
		if !errors.As(err, &e) || e.Code != code {
			return fmt.Errorf("got (%#v, %v), want the error %s", got, err, want.Code)
		}
		if m := expand(want.MessageContains); !strings.Contains(e.Message, m) {
			return fmt.Errorf("error message %q does not contain %q", e.Message, m)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("unexpected error: %w", err)
	}
	switch {
	case want.Result != nil:
		var expected any
		if err := json.Unmarshal(want.Result, &expected); err != nil {
			return fmt.Errorf("bad result in the case: %w", err)
		}
		if !equal(got, expandAll(expected)) {
			g, _ := json.Marshal(got)
			return fmt.Errorf("result %s, want %s", g, want.Result)
		}
	case want.InfoHas != nil:
		info, _ := got.(map[string]any)
		for _, key := range want.InfoHas {
			if _, ok := info[key]; !ok {
				return fmt.Errorf("info has no %q (keys: %v)", key, keys(info))
			}
		}
	case want.Names != nil:
		expected := make([]string, len(want.Names))
		for i, n := range want.Names {
			expected[i] = target(n)
		}
		if names, _ := got.([]string); !reflect.DeepEqual(names, expected) {
			return fmt.Errorf("listed %v, want %v", got, expected)
		}
	case want.OK:
	default:
		return errors.New("the case has no expectation")
	}
	return nil
}

// expand replaces {prefix} with the runner's prefix.
func expand(s string) string { return strings.ReplaceAll(s, "{prefix}", Prefix) }

func expandAll(v any) any {
	switch x := v.(type) {
	case string:
		return expand(x)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = expandAll(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = expandAll(item)
		}
		return out
	}
	return v
}

// equal compares JSON-shaped values, numbers as numbers.
func equal(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
