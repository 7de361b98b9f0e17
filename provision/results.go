package provision

import (
	"fmt"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// resultID is the id of a signup's result event of a kind, stable across
// redeliveries so that the outbox and JetStream drop repeats. Replays get
// their own ids.
func resultID(sg *outbox.Signup, kind string) string {
	if sg.Generation > 0 {
		return fmt.Sprintf("%s:%s:%d", sg.ID, kind, sg.Generation)
	}
	return sg.ID + ":" + kind
}

func (w *Worker) message(subject, id, typ string, data any) (*outbox.Message, error) {
	raw, err := events.EncodeEvent(id, w.cfg.Source, typ, w.cfg.Now(), data)
	if err != nil {
		return nil, err
	}
	return &outbox.Message{MsgID: id, Subject: subject, Payload: raw}, nil
}

func (w *Worker) provisioned(d Delivery, sg *outbox.Signup, md events.SAMLMetadata) (*outbox.Message, error) {
	data := events.TenantProvisioned{
		SignupID: sg.ID,
		Tenant:   sg.Tenant,
		Org: events.OrgRef{
			ID:          sg.OrgID,
			Subdomain:   sg.Subdomain,
			URL:         "https://" + sg.OrgHost,
			Environment: okta.Environment(sg.OrgHost),
		},
		App:      events.AppRef{ID: sg.AppID, Name: sg.AppName, Label: sg.AppLabel},
		Metadata: md,
	}
	return w.message(w.cfg.Subjects.Provisioned, resultID(sg, "provisioned"),
		events.TypeTenantProvisioned, data)
}

func (w *Worker) failed(sg *outbox.Signup, step string, f events.FailureError, attempts int,
	replay bool) (*outbox.Message, error) {
	data := events.ProvisioningFailed{
		SignupID:   sg.ID,
		Tenant:     sg.Tenant,
		Step:       step,
		Error:      f,
		Attempts:   attempts,
		Replayable: replay,
	}
	return w.message(w.cfg.Subjects.Failed, resultID(sg, "failed"), events.TypeProvisioningFailed, data)
}
