package main

import (
	"bufio"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/embedded-occ/provisioner/okta"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB is the process's peak resident set (VmHWM) in MiB, or 0 when
// /proc is not there.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// goid returns the running goroutine's id. The consumer runs each
// delivery on a goroutine of its own, and both the consumer's observer and
// the Okta client's Observe hook run on it, so the id ties an Okta
// exchange to the signup it belongs to. Only the benchmark does this.
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	s := buf[:n]
	s = s[len("goroutine "):]
	var id uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// tracker measures, per delivery, the worker's own time: the time from the
// consumer receiving the message to the end of its handling (ack
// included) minus the time spent in Okta exchanges and client-side
// rate-limit waits.
type tracker struct {
	mu      sync.Mutex
	open    map[uint64]*delivery
	added   []time.Duration
	okta    []time.Duration
	enabled bool
}

type delivery struct {
	start time.Time
	okta  time.Duration
}

func newTracker() *tracker {
	return &tracker{open: make(map[uint64]*delivery), enabled: true}
}

func (t *tracker) begin() {
	id := goid()
	now := time.Now()
	t.mu.Lock()
	t.open[id] = &delivery{start: now}
	t.mu.Unlock()
}

func (t *tracker) exchange(x okta.Exchange) {
	id := goid()
	t.mu.Lock()
	if d := t.open[id]; d != nil {
		d.okta += x.Duration + x.Throttled
	}
	t.mu.Unlock()
}

func (t *tracker) end() {
	id := goid()
	now := time.Now()
	t.mu.Lock()
	if d := t.open[id]; d != nil {
		delete(t.open, id)
		t.added = append(t.added, now.Sub(d.start)-d.okta)
		t.okta = append(t.okta, d.okta)
	}
	t.mu.Unlock()
}

// samples returns the added and Okta times recorded so far.
func (t *tracker) samples() (added, oktaTime []time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.added), slices.Clone(t.okta)
}

// percentile returns the p-th percentile (0..100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
