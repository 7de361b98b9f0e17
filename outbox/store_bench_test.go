package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/events"
)

func openBenchStore(b *testing.B, sync string) *Store {
	b.Helper()
	spec, err := events.GenerateKeyringSpec("bench")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := events.ParseKeyring(spec)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"),
		Options{Keyring: keys, Synchronous: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchChange is a typical step outcome: new state, journal entry with a
// small detail.
func benchChange(i int) Change {
	return Change{State: StateAppPending, Step: "create_app", Status: "started", Attempt: 1,
		Detail: map[string]string{"name": "servicenow_app2", "label": fmt.Sprint("ACME ", i)}}
}

// BenchmarkRecordStep is one journal step commit, one caller at a time:
// each commit is its own transaction (and fsync with FULL).
func BenchmarkRecordStep(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			s := openBenchStore(b, sync)
			ctx := context.Background()
			if _, err := s.Acquire(ctx, Begin{ID: "s", Tenant: "new", Owner: "w", Lease: time.Hour}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := s.Record(ctx, "s", benchChange(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkRecordStepParallel is the same commit from 64 callers at once,
// as 64 in-flight signups make them: group commit shares transactions.
func BenchmarkRecordStepParallel(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			s := openBenchStore(b, sync)
			ctx := context.Background()
			const signups = 64
			for i := range signups {
				if _, err := s.Acquire(ctx, Begin{ID: fmt.Sprint(i), Tenant: "new", Owner: "w",
					Lease: time.Hour}); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(signups / max(1, testingProcs()))
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprint(next.Add(1) % signups)
				i := 0
				for pb.Next() {
					if err := s.Record(ctx, id, benchChange(i)); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkAcquire records a new signup: the first commit of every
// signup.
func BenchmarkAcquire(b *testing.B) {
	s := openBenchStore(b, "FULL")
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Acquire(ctx, Begin{ID: fmt.Sprint("s", i), Tenant: "new", Subdomain: "acme",
			AppName: "servicenow_app2", AppLabel: "ACME", Owner: "w", Lease: time.Minute}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
