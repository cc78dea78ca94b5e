package actor

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// load measures the process for beats and info: resident memory, and CPU
// use since the previous measure, in percent of one core.
type load struct {
	mu       sync.Mutex
	lastCPU  time.Duration
	lastWall time.Time
}

// cpuTimes are the process's user and system CPU times.
func cpuTimes() (user, system time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// rssBytes is the resident memory: /proc's current figure on Linux, else
// the peak (all that getrusage knows).
func rssBytes() int64 {
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		if fields := strings.Fields(string(data)); len(fields) > 1 {
			if pages, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		return int64(ru.Maxrss) * 1024
	}
	return 0
}

func (l *load) measure() (rss int64, cpuPercent float64) {
	user, system := cpuTimes()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	cpu := user + system
	if !l.lastWall.IsZero() {
		if wall := now.Sub(l.lastWall); wall > 0 {
			cpuPercent = float64(cpu-l.lastCPU) / float64(wall) * 100
		}
	}
	l.lastCPU, l.lastWall = cpu, now
	return rssBytes(), cpuPercent
}

// systemInfo is the "system" part of info.
func (l *load) systemInfo() map[string]any {
	rss, cpu := l.measure()
	user, system := cpuTimes()
	info := map[string]any{
		"process_id":         os.Getpid(),
		"memory_rss":         rss,
		"cpu_percent":        cpu,
		"num_goroutines":     runtime.NumGoroutine(),
		"cpu_user_seconds":   user.Seconds(),
		"cpu_system_seconds": system.Seconds(),
		"go_version":         runtime.Version(),
	}
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		info["num_fds"] = len(entries)
	}
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "Threads:"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
					info["num_threads"] = n
				}
			}
		}
	}
	return info
}
