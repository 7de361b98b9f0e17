package faults

import (
	"fmt"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
)

// publishMany publishes n new-tenant signups named after prefix.
func publishMany(l *lab, prefix string, from, n int) []string {
	var ids []string
	for i := from; i < from+n; i++ {
		sub := fmt.Sprintf("%s-%d", prefix, i)
		ids = append(ids, l.publish(newTenant("sg-"+sub, sub)))
	}
	return ids
}

// TestFaultsBrokerRestart restarts nats-server while signups are half
// done: the worker reconnects and carries on; nothing is lost or doubled.
func TestFaultsBrokerRestart(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	l.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Latency: 1500 * time.Millisecond})
	w := l.startWorker(workerOpts{})
	ids := publishMany(l, "restart", 0, 5)
	l.waitState(ids[0], outbox.StateAppPending)

	port := l.ns.Port()
	if err := l.ns.Restart(); err != nil {
		t.Fatal(err)
	}
	if l.ns.Port() != port {
		t.Fatalf("broker came back on port %d, want %d", l.ns.Port(), port)
	}
	publishMany(l, "restart", 5, 3)
	l.settle()
	checkRequests(t, l, 8, 8, -1, 8)
	w.stop()
}

// TestFaultsConsumerDeleted deletes the durable consumer mid-run: the
// worker re-creates it and carries on; nothing is lost or doubled.
func TestFaultsConsumerDeleted(t *testing.T) {
	t.Parallel()
	l := newLab(t, oktatest.Options{})
	l.emu.SetFault(oktatest.EndpointApps, oktatest.Fault{Latency: 1500 * time.Millisecond})
	w := l.startWorker(workerOpts{})
	ids := publishMany(l, "deleted", 0, 4)
	l.waitState(ids[0], outbox.StateAppPending)

	if err := l.js.DeleteConsumer(testCtx(t, 10*time.Second), l.streams.Signups, "provisioner"); err != nil {
		t.Fatal(err)
	}
	publishMany(l, "deleted", 4, 3)
	l.settle()
	checkRequests(t, l, 7, 7, -1, 7)
	if _, err := l.js.Consumer(testCtx(t, 10*time.Second), l.streams.Signups, "provisioner"); err != nil {
		t.Errorf("the consumer was not re-created: %v", err)
	}
	w.stop()
}
