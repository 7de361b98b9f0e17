package faults

import (
	"testing"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// TestFaultsISVTokenRejected: while Okta rejects the ISV's own token the
// worker takes no signups (no flood of failures), keeps checking the
// token, and provisions every waiting signup once it works again. A token
// revoked mid-run holds the signup back the same way.
func TestFaultsISVTokenRejected(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	token := "isv-revoked-" + randHex(8) // unknown to Okta for now
	w := l.startWorker(workerOpts{token: token})
	w.waitReady()
	ids := publishMany(l, "isv-down", 0, 3)

	// Rejected at start-up and at every recheck since: a few checks, no
	// signup taken meanwhile.
	waitFor(t, "the worker to recheck the rejected token", resultTimeout, func() bool {
		return l.emu.Stats().ByEndpointStatus[oktatest.EndpointMe][401] >= 3
	})
	if n := l.pending(); n != 3 {
		t.Errorf("signup stream holds %d messages while the token is rejected, want all 3", n)
	}
	l.poll()
	for _, id := range ids {
		if got := l.resultsFor(signupKey{id: id}); len(got) != 0 {
			t.Errorf("signup %s has results %v while the token is rejected, want none", id, got)
		}
	}
	checkRequests(t, l, 0, 0, 0, 0)

	// Okta accepts the token again (an operator re-enabled it).
	l.emu.AddOrg(isvHost, token)
	for _, id := range ids {
		l.waitResult(id, 0).provisioned(t)
	}

	// Revoked mid-run for three requests: the signup that meets it waits,
	// then succeeds; no ProvisioningFailed.
	before := l.emu.Stats()
	l.emu.SetFault(oktatest.EndpointMe, oktatest.Fault{Code: oktatest.CodeInvalidToken, Count: 3})
	id := l.publish(newTenant("sg-isv-revoked", "isv-revoked"))
	l.waitResult(id, 0).provisioned(t)
	after := l.emu.Stats()
	rejected := func(st oktatest.Stats) int { return st.ByEndpointStatus[oktatest.EndpointMe][401] }
	if got := rejected(after) - rejected(before); got != 3 {
		t.Errorf("token checks rejected: %d, want exactly the 3 faulted", got)
	}
	if got := after.ByEndpoint[oktatest.EndpointOrgs] - before.ByEndpoint[oktatest.EndpointOrgs]; got != 1 {
		t.Errorf("org creations: %d, want 1", got)
	}
	l.settle()
	w.stop()
}
