package faults

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/provision"
	"github.com/embedded-occ/provisioner/publisher"
)

// cli runs `provisioner dlq SUB --nats-url URL ARGS...` against the lab's
// broker and returns its standard output.
func (l *lab) cli(sub string, args ...string) string {
	l.t.Helper()
	all := append([]string{"dlq", sub, "--nats-url", l.ns.URL()}, args...)
	cmd := exec.Command(binary(l.t), all...)
	cmd.Dir = l.t.TempDir()
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		l.t.Fatalf("provisioner %s: %v\n%s", strings.Join(all, " "), err, stderr.String())
	}
	return stdout.String()
}

// deadLetters lists the dead letters with `provisioner dlq list --json`.
func (l *lab) deadLetters() []publisher.DeadEntry {
	l.t.Helper()
	var out []publisher.DeadEntry
	if err := json.Unmarshal([]byte(l.cli("list", "--json")), &out); err != nil {
		l.t.Fatalf("dlq list --json: %v", err)
	}
	return out
}

// replay replays a dead letter with `provisioner dlq replay ID`, checks
// the new message id, and tracks the replayed signup.
func (l *lab) replay(e publisher.DeadEntry) signupKey {
	l.t.Helper()
	out := strings.TrimSpace(l.cli("replay", e.Letter.SignupID))
	id, msgID, ok := strings.Cut(out, "\t")
	if !ok || id != e.Letter.SignupID || msgID == id || !strings.HasPrefix(msgID, id+":replay:") {
		l.t.Fatalf("dlq replay printed %q, want the signup id and a new message id", out)
	}
	k := signupKey{id: id, gen: int(e.Seq)}
	l.track(k)
	return k
}

// TestFaultsGiveUpAndDLQ spends the retry budget of app creation: the
// signup is dead-lettered with reason, step, attempts and Okta's error, a
// replayable ProvisioningFailed goes out, the original is terminated. The
// CLI then lists, shows, replays (the org is not created again) and purges.
func TestFaultsGiveUpAndDLQ(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	w := l.startWorker(workerOpts{args: []string{"--retry-attempts", "3"}})
	l.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Status: 503})

	a, b := newTenant("sg-giveup-a", "giveup-a"), newTenant("sg-giveup-b", "giveup-b")
	for _, sg := range []signupSpec{a, b} {
		id := l.publish(sg)
		f := l.waitResult(id, 0).failed(t)
		if !f.Replayable || f.Step != events.StepCreateApp || f.Attempts != 3 ||
			f.Error.ErrorCode != oktatest.CodeReadOnly || f.Error.HTTPStatus != 503 {
			t.Errorf("give-up result %+v, want replayable, create_app, 3 attempts, 503 %s",
				f, oktatest.CodeReadOnly)
		}
	}
	// Exactly the budget: three app creations each, no more.
	checkRequests(t, l, 2, 6, 0, 0)
	waitFor(t, "the originals to be terminated", resultTimeout, func() bool { return l.pending() == 0 })

	dead := l.deadLetters()
	if len(dead) != 2 {
		t.Fatalf("dlq list: %d dead letters, want 2", len(dead))
	}
	for _, e := range dead {
		dl := e.Letter
		if dl.Reason != "retries_exhausted" || dl.Step != events.StepCreateApp || dl.Attempts != 3 ||
			dl.LastError == nil || dl.LastError.ErrorCode != oktatest.CodeReadOnly {
			t.Errorf("dead letter %+v, want retries_exhausted at create_app after 3 attempts, %s",
				dl, oktatest.CodeReadOnly)
		}
		if !bytes.Contains(dl.Original, []byte(`"enc:v1:`)) || bytes.Contains(dl.Original, []byte("L0v30ktA!")) {
			t.Errorf("dead letter %s: the original's secrets are not sealed", dl.SignupID)
		}
	}
	var shown publisher.DeadEntry
	if err := json.Unmarshal([]byte(l.cli("show", a.id)), &shown); err != nil || shown.Letter.SignupID != a.id {
		t.Fatalf("dlq show %s: %+v, %v", a.id, shown.Letter, err)
	}

	// Okta recovers; the replay resumes from the journal: the org exists,
	// so only the app is created, once.
	l.emu.ClearFaults()
	k := l.replay(shown)
	p := l.waitResult(k.id, k.gen).provisioned(t)
	if got := l.emu.Apps(a.host()); len(got) != 1 || got[0].ID != p.App.ID {
		t.Errorf("apps of %s after replay: %v, want the one in the result (%s)", a.host(), got, p.App.ID)
	}
	checkRequests(t, l, 2, 7, 1, 1)

	if out := l.cli("purge", "--yes"); !strings.Contains(out, "purged 1 dead letters") {
		t.Errorf("dlq purge --yes printed %q, want one purged", out)
	}
	if left := l.deadLetters(); len(left) != 0 {
		t.Errorf("dlq list after purge: %d dead letters, want none", len(left))
	}
	l.settle()
	checkJournal(t, l, a.id)
	w.stop()
}

// TestFaultsExhaustedDeliveries: a signup whose every delivery crashes the
// worker before its own logic runs is caught by JetStream's max-deliveries
// advisory and dead-lettered, not lost; its replay then succeeds.
func TestFaultsExhaustedDeliveries(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	maxDeliver := []string{"--max-deliver", "2"}
	sg := newTenant("sg-exhausted", "exhausted")

	w := l.startWorker(workerOpts{crashAt: provision.CrashReceived, args: maxDeliver})
	id := l.publish(sg)
	w.expectCrash(provision.CrashReceived)
	w = l.startWorker(workerOpts{crashAt: provision.CrashReceived, args: maxDeliver})
	w.expectCrash(provision.CrashReceived)

	w = l.startWorker(workerOpts{args: maxDeliver})
	f := l.waitResult(id, 0).failed(t)
	if !f.Replayable || f.Error.ErrorCode != events.CodeDeliveriesExhaust {
		t.Errorf("result %+v, want replayable %s", f, events.CodeDeliveriesExhaust)
	}
	waitFor(t, "the exhausted message to leave the stream", resultTimeout,
		func() bool { return l.pending() == 0 })
	checkRequests(t, l, 0, 0, 0, 0)
	dead := l.deadLetters()
	if len(dead) != 1 || dead[0].Letter.Reason != "max_deliveries" || dead[0].Letter.SignupID != id {
		t.Fatalf("dead letters %+v, want %s for max_deliveries", dead, id)
	}

	k := l.replay(dead[0])
	l.waitResult(k.id, k.gen).provisioned(t)
	checkRequests(t, l, 1, 1, 0, 1)
	l.settle()
	w.stop()
}
