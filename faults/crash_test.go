package faults

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/provision"
	"github.com/embedded-occ/provisioner/publisher"
)

// crashCase is a kill -9 at one step boundary and what a restart must
// make of it: the result, and exactly how many requests of each kind the
// emulator saw over both lives of the worker.
type crashCase struct {
	point string
	code  string // "" wants TenantProvisioned, else this failure code
	// Requests the emulator must have seen: org creations, app creations,
	// app lookups by label and metadata fetches.
	orgs, apps, lookups, metadata int
}

var crashCases = []crashCase{
	{point: provision.CrashReceived, orgs: 1, apps: 1, metadata: 1},
	{point: provision.CrashBeforeCheckToken, orgs: 1, apps: 1, metadata: 1},
	{point: provision.CrashAfterCheckTokenCall, orgs: 1, apps: 1, metadata: 1},
	// The check's commit also starts org creation (org_pending): the
	// restart reconciles with a creation that succeeds, the only one.
	{point: provision.CrashAfterCheckTokenCommit, orgs: 1, apps: 1, metadata: 1},
	// org_pending committed, nothing sent: the restart's reconciling
	// creation is the only one.
	{point: provision.CrashBeforeCreateOrg, orgs: 1, apps: 1, metadata: 1},
	// Okta created the org, its token died with the process: the restart
	// must not create a second org but end in the documented failure.
	{point: provision.CrashAfterCreateOrgCall, code: events.CodeOrgUnconfirmed, orgs: 2},
	// The org's commit also starts app creation (app_pending): the restart
	// looks the app up by its label first, finds none, creates it.
	{point: provision.CrashAfterCreateOrgCommit, orgs: 1, apps: 1, lookups: 1, metadata: 1},
	// app_pending committed, nothing sent: looked up, not found, created.
	{point: provision.CrashBeforeCreateApp, orgs: 1, apps: 1, lookups: 1, metadata: 1},
	// Okta created the app, the answer died: found again by its label.
	{point: provision.CrashAfterCreateAppCall, orgs: 1, apps: 1, lookups: 1, metadata: 1},
	// The app is committed with the result, so a crash after the
	// metadata arrived finds the app again by its label and fetches the
	// metadata a second time.
	{point: provision.CrashAfterMetadataCall, orgs: 1, apps: 1, lookups: 1, metadata: 2},
	// The result is committed: the redelivery is acked without a call.
	{point: provision.CrashAfterResultCommit, orgs: 1, apps: 1, metadata: 1},
	// Published but not marked: published again, JetStream drops it.
	{point: publisher.CrashAfterPublish, orgs: 1, apps: 1, metadata: 1},
}

// TestFaultsCrashPoints kills a worker process with SIGKILL at every step
// boundary, restarts it without the hook, and checks that the signup
// resumed exactly: one result, no org or app twice, the journal right.
// Each point gets its own lab; several run at once.
func TestFaultsCrashPoints(t *testing.T) {
	t.Parallel()
	binary(t)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, c := range crashCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(c.point, func(t *testing.T) { runCrashCase(t, c) })
		}()
	}
	wg.Wait()
}

func runCrashCase(t *testing.T, c crashCase) {
	l := newLab(t, oktatest.Options{})
	sub := "crash-" + strings.ReplaceAll(c.point, "_", "-")
	sg := newTenant("sg-"+sub, sub)

	w := l.startWorker(workerOpts{crashAt: c.point})
	id := l.publish(sg)
	w.expectCrash(c.point)

	w2 := l.startWorker(workerOpts{})
	r := l.waitResult(id, 0)
	l.settle()

	st, err := l.store.Get(testCtx(t, 10*time.Second), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.code == "" {
		p := r.provisioned(t)
		apps := l.emu.Apps(sg.host())
		if len(apps) != 1 || p.App.ID != apps[0].ID || st.AppID != apps[0].ID {
			t.Errorf("app: result %s, journal %s, emulator %v; want one and the same", p.App.ID, st.AppID, apps)
		}
		if st.State != outbox.StateProvisioned {
			t.Errorf("journal state %s, want %s", st.State, outbox.StateProvisioned)
		}
	} else {
		f := r.failed(t)
		if f.Error.ErrorCode != c.code || f.Replayable {
			t.Errorf("failure %s (replayable %t), want %s, not replayable", f.Error.ErrorCode, f.Replayable, c.code)
		}
		if st.State != outbox.StateFailed {
			t.Errorf("journal state %s, want %s", st.State, outbox.StateFailed)
		}
	}
	checkRequests(t, l, c.orgs, c.apps, c.lookups, c.metadata)
	checkJournal(t, l, id)
	if (c.point == provision.CrashAfterCreateAppCall || c.point == provision.CrashAfterMetadataCall) &&
		!foundByLabel(t, l, id) {
		t.Errorf("the app was not found again by its label")
	}
	w2.stop()
}

// checkRequests checks how many org creations, app creations, app lookups
// and metadata fetches the emulator saw in all; -1 skips a count.
func checkRequests(tb testing.TB, l *lab, orgs, apps, lookups, metadata int) {
	tb.Helper()
	st := l.emu.Stats()
	got := []int{st.ByEndpoint[oktatest.EndpointOrgs], st.ByEndpoint[oktatest.EndpointApps],
		st.ByEndpoint[oktatest.EndpointListApps], st.ByEndpoint[oktatest.EndpointMetadata]}
	want := []int{orgs, apps, lookups, metadata}
	names := []string{"org creations", "app creations", "app lookups", "metadata fetches"}
	for i := range want {
		if want[i] >= 0 && got[i] != want[i] {
			tb.Errorf("emulator saw %d %s, want %d", got[i], names[i], want[i])
		}
	}
}

// checkJournal checks that the journal shows each step done at most once
// and that the signup is finished and released.
func checkJournal(tb testing.TB, l *lab, id string) {
	tb.Helper()
	steps, err := l.store.Journal(testCtx(tb, 10*time.Second), id)
	if err != nil {
		tb.Fatal(err)
	}
	done := map[string]int{}
	for _, s := range steps {
		if s.Status == "done" && s.Step != "receive" && s.Step != "replay" {
			done[s.Step]++
		}
	}
	for step, n := range done {
		if n > 1 {
			tb.Errorf("journal of %s: step %s done %d times", id, step, n)
		}
	}
	sg, err := l.store.Get(testCtx(tb, 10*time.Second), id)
	if err != nil {
		tb.Fatal(err)
	}
	if !outbox.Done(sg.State) {
		tb.Errorf("journal of %s: state %s is not final", id, sg.State)
	}
}

// foundByLabel reports whether the journal says the app was found again
// by its label rather than created.
func foundByLabel(tb testing.TB, l *lab, id string) bool {
	tb.Helper()
	steps, err := l.store.Journal(testCtx(tb, 10*time.Second), id)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range steps {
		var d struct {
			Found bool `json:"found_by_label"`
		}
		if s.Step == events.StepCreateApp && s.Status == "done" && json.Unmarshal(s.Detail, &d) == nil && d.Found {
			return true
		}
	}
	return false
}
