package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// text is output printed as is, not as JSON.
type text string

// psColumns are the columns of Python's `actorgrpc ps`, in its order.
var psColumns = []string{"AID", "NAME", "KIND", "STATE", "PID", "UPTIME", "RESTARTS", "MEMORY", "CPU%", "BEAT"}

// table formats actors as Python's `actorgrpc ps` does (plain text, no colours).
func table(actors []actorgrpc.ActorSummary) text {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(psColumns, "\t"))
	for _, a := range actors {
		fmt.Fprintln(w, strings.Join(row(a), "\t"))
	}
	w.Flush()
	return text(b.String())
}

// row is one line of the table: the same cells as Python's console.summary_row.
func row(a actorgrpc.ActorSummary) []string {
	processLike := a.Kind == actorgrpc.KindProcess || a.Kind == actorgrpc.KindExec
	pid, cpu, beat := "-", "-", "-"
	if a.PID != 0 {
		pid = fmt.Sprint(a.PID)
	}
	if processLike {
		cpu = fmt.Sprintf("%.1f", a.CPUPercent)
		beat = humanDuration(a.HeartbeatAge)
	}
	return []string{a.Actor.AID, a.Actor.Name, a.Kind.String(), a.Actor.State.String(), pid,
		humanDuration(a.Uptime), fmt.Sprint(a.Restarts), humanBytes(a.MemoryRSSBytes), cpu, beat}
}

// humanDuration writes 1.5s, 12m03s, 3h05m, 2d04h: short enough for a column.
func humanDuration(d time.Duration) string {
	s := d.Seconds()
	if s <= 0 {
		return "-"
	}
	if s < 60 {
		return fmt.Sprintf("%.1fs", s)
	}
	minutes, secs := int(s)/60, int(s)%60
	if minutes < 60 {
		return fmt.Sprintf("%dm%02ds", minutes, secs)
	}
	hours, minutes := minutes/60, minutes%60
	if hours < 24 {
		return fmt.Sprintf("%dh%02dm", hours, minutes)
	}
	return fmt.Sprintf("%dd%02dh", hours/24, hours%24)
}

func humanBytes(n int64) string {
	if n == 0 {
		return "-"
	}
	count := float64(n)
	for _, unit := range []string{"B", "KiB", "MiB"} {
		if count < 1024 {
			if unit == "B" {
				return fmt.Sprintf("%.0f B", count)
			}
			return fmt.Sprintf("%.1f %s", count, unit)
		}
		count /= 1024
	}
	return fmt.Sprintf("%.1f GiB", count)
}
