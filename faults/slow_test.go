package faults

import (
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestFaultsSlowOktaTwoWorkers: Okta answers slower than the consumer's
// ack wait (3s against 2s). Two worker processes share one durable
// consumer and one SQLite file. No signup is handed out twice meanwhile
// (the broker's delivery count equals the signups), and each is
// provisioned once.
func TestFaultsSlowOktaTwoWorkers(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	slow := oktatest.Fault{Latency: 3 * time.Second}
	l.emu.SetFault(oktatest.EndpointOrgs, slow)
	l.emu.SetFault(oktatest.EndpointApps, slow)
	w1 := l.startWorker(workerOpts{args: []string{"--concurrency", "2"}})
	w2 := l.startWorker(workerOpts{args: []string{"--concurrency", "2"}})
	w1.waitReady()
	w2.waitReady()

	const n = 4
	publishMany(l, "slow", 0, n)
	l.settle()
	checkRequests(t, l, n, n, 0, n)

	info, err := l.js.Consumer(testCtx(t, 10*time.Second), l.streams.Signups, "provisioner")
	if err != nil {
		t.Fatal(err)
	}
	ci := info.CachedInfo()
	if ci.Delivered.Consumer != n || ci.NumRedelivered != 0 {
		t.Errorf("the broker made %d deliveries (%d redelivered) of %d signups, want one each",
			ci.Delivered.Consumer, ci.NumRedelivered, n)
	}
	w1.stop()
	w2.stop()
}
