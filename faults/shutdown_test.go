package faults

import (
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
)

// TestFaultsSIGTERM: on SIGTERM the worker stops taking signups, lets the
// one in flight finish within the grace period, acks it and exits 0; one
// that cannot finish in time stays unacked and resumes on the next start,
// at the step where it stood.
func TestFaultsSIGTERM(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})

	// In flight when SIGTERM arrives, done well within the grace period.
	l.emu.SetFault(oktatest.EndpointMetadata, oktatest.Fault{Latency: 2 * time.Second})
	w := l.startWorker(workerOpts{args: []string{"--grace", "30s"}})
	w.waitReady()
	a := newTenant("sg-sigterm-a", "sigterm-a")
	idA := l.publish(a)
	l.waitMetadataStep(a)
	w.stop() // exit status 0
	if n := l.pending(); n != 0 {
		t.Errorf("after a clean stop the signup stream holds %d messages, want 0 (acked)", n)
	}
	l.waitResult(idA, 0).provisioned(t)

	// In flight, but slower than the grace period: abandoned, not failed.
	l.emu.SetFault(oktatest.EndpointMetadata, oktatest.Fault{Latency: time.Minute})
	w = l.startWorker(workerOpts{args: []string{"--grace", "1s"}})
	w.waitReady()
	b := newTenant("sg-sigterm-b", "sigterm-b")
	idB := l.publish(b)
	l.waitMetadataStep(b)
	w.stop()
	if n := l.pending(); n != 1 {
		t.Errorf("after an abandoned signup the stream holds %d messages, want 1 (unacked)", n)
	}
	if got := l.resultsFor(signupKey{id: idB}); len(got) != 0 {
		t.Errorf("abandoned signup has results %v, want none yet", got)
	}
	// The app was committed when the worker gave the signup up.
	if sg, err := l.store.Get(testCtx(t, 10*time.Second), idB); err != nil || sg.State != outbox.StateAppCreated {
		t.Errorf("abandoned signup: %+v, %v; want state %s", sg, err, outbox.StateAppCreated)
	}

	// The next start resumes it at the metadata step: no second app.
	l.emu.ClearFaults()
	w = l.startWorker(workerOpts{})
	l.waitResult(idB, 0).provisioned(t)
	if apps := l.emu.Apps(b.host()); len(apps) != 1 {
		t.Errorf("apps of %s: %v, want exactly one", b.host(), apps)
	}
	checkRequests(t, l, 2, 2, 0, -1)
	l.settle()
	checkJournal(t, l, idB)
	w.stop()
}

// waitMetadataStep waits until the emulator has created sg's app: the
// worker is then at the metadata step (the app is committed with the
// step after it).
func (l *lab) waitMetadataStep(sg signupSpec) {
	l.t.Helper()
	waitFor(l.t, sg.host()+" to have its app", resultTimeout, func() bool {
		return len(l.emu.Apps(sg.host())) == 1
	})
}
