package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
)

// Streams names the JetStream streams the product uses.
type Streams struct {
	// Signups holds signup requests (work queue). Default "SIGNUPS".
	Signups string
	// Results holds the result events. Default "TENANT_RESULTS".
	Results string
	// Dead holds dead letters. Default "SIGNUPS_DEAD".
	Dead string
	// Advisories captures JetStream's max-deliveries advisories for the
	// signup consumer. Default "SIGNUPS_ADVISORIES".
	Advisories string
	// Duplicates is the dedup window of the signup and result streams.
	// Default 10m.
	Duplicates time.Duration
}

// DefaultStreams returns the documented default stream names.
func DefaultStreams() Streams {
	return Streams{
		Signups:    "SIGNUPS",
		Results:    "TENANT_RESULTS",
		Dead:       "SIGNUPS_DEAD",
		Advisories: "SIGNUPS_ADVISORIES",
		Duplicates: 10 * time.Minute,
	}
}

// MaxDeliveriesSubject is the advisory subject JetStream uses when a
// message of stream on consumer reaches its delivery limit.
func MaxDeliveriesSubject(stream, consumer string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + stream + "." + consumer
}

// EnsureStreams creates or updates the streams for subj. Operators who
// manage streams themselves turn this off.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, st Streams, subj events.Subjects,
	durable string) error {
	cfgs := []jetstream.StreamConfig{
		{
			Name: st.Signups, Subjects: []string{subj.Signup},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
			Duplicates: st.Duplicates, Description: "signup requests for the Okta provisioner",
		},
		{
			Name: st.Results, Subjects: []string{subj.Provisioned, subj.Failed},
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			Duplicates: st.Duplicates, MaxAge: 30 * 24 * time.Hour,
			Description: "TenantProvisioned and ProvisioningFailed results",
		},
		{
			Name: st.Dead, Subjects: []string{subj.Dead},
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			Duplicates: st.Duplicates, Description: "dead-lettered signups, for inspection and replay",
		},
		{
			Name: st.Advisories, Subjects: []string{MaxDeliveriesSubject(st.Signups, durable)},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
			Description: "max-deliveries advisories of the signup consumer",
		},
	}
	for _, c := range cfgs {
		if _, err := js.CreateOrUpdateStream(ctx, c); err != nil {
			return fmt.Errorf("ensure stream %s: %w", c.Name, err)
		}
	}
	return nil
}
