package actorgrpc

import (
	"encoding/json"
	"time"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// ActorRef is how to reach an actor.
type ActorRef struct {
	AID     string `json:"aid"`     // unique id of this incarnation
	Name    string `json:"name"`    // unique among live actors
	Address string `json:"address"` // host:port of its MailboxService
	State   State  `json:"state"`
}

func refFromPB(r *pb.ActorRef) ActorRef {
	return ActorRef{AID: r.GetAid(), Name: r.GetName(), Address: r.GetAddress(), State: State(r.GetState())}
}

// ActorSummary is what the arbiter knows about one actor (ListActors, GetActor).
type ActorSummary struct {
	Actor   ActorRef
	Kind    Kind
	PID     int    // 0 when not started
	Monitor string // "arbiter" when spawned directly
	// CreatedAt is when this incarnation was created (zero when unknown).
	CreatedAt time.Time
	// Uptime is the time since it reached running (0 when not running).
	Uptime   time.Duration
	Restarts int
	Restart  RestartType
	// Backoff is how long its supervisor waited before starting this incarnation.
	Backoff time.Duration
	// HeartbeatAge is the time since its last heartbeat (0 for actors hosted
	// inside the arbiter).
	HeartbeatAge   time.Duration
	MemoryRSSBytes int64
	CPUPercent     float64
	MailboxDepth   int64
	Processed      int64
	// GaveUp says why its supervisor gave up restarting it, if it did.
	GaveUp string
	// CrashReport says how its last incarnation ended; nil while it runs.
	CrashReport *CrashReport
	// Program is the operator's name of the program an exec actor runs.
	Program string
}

// CrashReport is how an actor's incarnation ended.
type CrashReport struct {
	// ExitCode is the exit code, or minus the signal number that ended it.
	ExitCode        int
	ExitDescription string // "exit code 1", "killed by SIGKILL", ...
	ExitedAt        time.Time
	// StopRequested is true when an operator or the arbiter asked it to stop.
	StopRequested bool
	// Failure is why its supervisor considered it failed ("hung: ...").
	Failure string
	// OutputTail is the last lines of its captured output.
	OutputTail []string
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func summaryFromPB(s *pb.ActorSummary) ActorSummary {
	out := ActorSummary{
		Actor:          refFromPB(s.GetActor()),
		Kind:           Kind(s.GetKind()),
		PID:            int(s.GetPid()),
		Monitor:        s.GetMonitor(),
		Uptime:         seconds(s.GetUptimeSeconds()),
		Restarts:       int(s.GetRestarts()),
		Restart:        RestartType(s.GetRestart()),
		Backoff:        seconds(s.GetBackoffSeconds()),
		HeartbeatAge:   seconds(s.GetHeartbeatAgeSeconds()),
		MemoryRSSBytes: s.GetMemoryRssBytes(),
		CPUPercent:     s.GetCpuPercent(),
		MailboxDepth:   s.GetMailboxDepth(),
		Processed:      s.GetProcessed(),
		GaveUp:         s.GetGaveUp(),
		Program:        s.GetProgram(),
	}
	if t := s.GetCreatedAt(); t != nil {
		out.CreatedAt = t.AsTime()
	}
	if r := s.GetCrashReport(); r != nil {
		out.CrashReport = &CrashReport{
			ExitCode:        int(r.GetExitCode()),
			ExitDescription: r.GetExitDescription(),
			StopRequested:   r.GetStopRequested(),
			Failure:         r.GetFailure(),
			OutputTail:      r.GetOutputTail(),
		}
		if t := r.GetExitedAt(); t != nil {
			out.CrashReport.ExitedAt = t.AsTime()
		}
	}
	return out
}

// summaryJSON is the JSON shape of a summary: the field names of the .proto,
// durations in seconds, states, kinds and restart types by short name: what
// Python's `actorgrpc ps --json` prints, so scripts read both alike.
type summaryJSON struct {
	Actor               ActorRef         `json:"actor"`
	Kind                Kind             `json:"kind"`
	PID                 int              `json:"pid"`
	Monitor             string           `json:"monitor"`
	CreatedAt           *string          `json:"created_at,omitempty"`
	UptimeSeconds       float64          `json:"uptime_seconds"`
	Restarts            int              `json:"restarts"`
	Restart             RestartType      `json:"restart"`
	BackoffSeconds      float64          `json:"backoff_seconds"`
	HeartbeatAgeSeconds float64          `json:"heartbeat_age_seconds"`
	MemoryRSSBytes      int64            `json:"memory_rss_bytes"`
	CPUPercent          float64          `json:"cpu_percent"`
	MailboxDepth        int64            `json:"mailbox_depth"`
	Processed           int64            `json:"processed"`
	GaveUp              string           `json:"gave_up"`
	CrashReport         *crashReportJSON `json:"crash_report,omitempty"`
	Program             string           `json:"program"`
}

type crashReportJSON struct {
	ExitCode        int      `json:"exit_code"`
	ExitDescription string   `json:"exit_description"`
	ExitedAt        *string  `json:"exited_at,omitempty"`
	StopRequested   bool     `json:"stop_requested"`
	Failure         string   `json:"failure"`
	OutputTail      []string `json:"output_tail"`
}

func timestampJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// MarshalJSON writes the summary as Python's `actorgrpc ps --json` does.
func (s ActorSummary) MarshalJSON() ([]byte, error) {
	out := summaryJSON{
		Actor: s.Actor, Kind: s.Kind, PID: s.PID, Monitor: s.Monitor,
		CreatedAt:           timestampJSON(s.CreatedAt),
		UptimeSeconds:       s.Uptime.Seconds(),
		Restarts:            s.Restarts,
		Restart:             s.Restart,
		BackoffSeconds:      s.Backoff.Seconds(),
		HeartbeatAgeSeconds: s.HeartbeatAge.Seconds(),
		MemoryRSSBytes:      s.MemoryRSSBytes,
		CPUPercent:          s.CPUPercent,
		MailboxDepth:        s.MailboxDepth,
		Processed:           s.Processed,
		GaveUp:              s.GaveUp,
		Program:             s.Program,
	}
	if r := s.CrashReport; r != nil {
		tail := r.OutputTail
		if tail == nil {
			tail = []string{}
		}
		out.CrashReport = &crashReportJSON{ExitCode: r.ExitCode, ExitDescription: r.ExitDescription,
			ExitedAt: timestampJSON(r.ExitedAt), StopRequested: r.StopRequested,
			Failure: r.Failure, OutputTail: tail}
	}
	return json.Marshal(out)
}
