package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
	"github.com/embedded-occ/provisioner/outbox"
)

// checkToken checks the token the signup will use first: the ISV's for a
// new tenant, the customer's for an existing one.
func (r *run) checkToken(ctx context.Context) error {
	r.step = events.StepCheckToken
	host, token, err := r.firstToken()
	if err != nil {
		return err
	}
	if err := r.w.cfg.Okta.CheckHost(host); err != nil {
		return err
	}
	r.w.crash(CrashBeforeCheckToken)
	err = r.call(ctx, events.StepCheckToken, func(ctx context.Context) error {
		_, err := r.w.cfg.Okta.Me(ctx, host, token)
		return err
	})
	if r.sg.Tenant == events.TenantNew {
		r.w.noteISV(err)
		if err != nil && !r.w.ISVHealthy() {
			return errISVRejected
		}
	}
	if err != nil {
		return err
	}
	r.w.crash(CrashAfterCheckTokenCall)
	// The next step starts in the same commit: nothing happens between.
	c := outbox.Change{
		Step: events.StepCheckToken, Status: "done",
		Attempt: r.attempts, Detail: map[string]string{"host": host},
	}
	if r.sg.Tenant == events.TenantNew {
		c.State = outbox.StateOrgPending
		c.Next = &outbox.Entry{Step: events.StepCreateOrg, Status: "started",
			Attempt: r.attempt(events.StepCreateOrg),
			Detail:  map[string]string{"subdomain": r.sg.Subdomain}}
	} else {
		c.State = outbox.StateAppPending
		c.Next = r.appStarted()
	}
	err = r.record(ctx, c)
	if err == nil {
		r.started = true
		r.w.crash(CrashAfterCheckTokenCommit)
	}
	return err
}

// appStarted is the journal entry that starts app creation.
func (r *run) appStarted() *outbox.Entry {
	return &outbox.Entry{Step: events.StepCreateApp, Status: "started",
		Attempt: r.attempt(events.StepCreateApp),
		Detail:  map[string]string{"name": r.sg.AppName, "label": r.sg.AppLabel}}
}

// errISVRejected: Okta rejects the ISV's own token. Not the signup's fault.
var errISVRejected = errors.New("okta rejects the isv token")

func (r *run) firstToken() (host, token string, err error) {
	if r.sg.Tenant == events.TenantNew {
		return r.w.cfg.ISVHost, r.w.cfg.ISVToken, nil
	}
	return r.orgAccess()
}

// orgAccess returns the host and token to use inside the customer's org.
func (r *run) orgAccess() (host, token string, err error) {
	if r.sg.Tenant == events.TenantExisting {
		token, err = r.w.reveal(r.d.Signup.Existing.APIToken)
		if err != nil {
			return "", "", &secretError{field: "existing.apiToken", err: err}
		}
		return r.sg.OrgHost, token, nil
	}
	if r.orgToken == "" {
		if r.orgToken, err = r.w.cfg.Store.OrgToken(r.sg); err != nil {
			return "", "", &storeError{err}
		}
	}
	return r.sg.OrgHost, r.orgToken, nil
}

// createOrg creates the customer's org. reconcile is set when an earlier
// attempt's outcome was lost: a duplicate subdomain then most likely means
// our own org, whose token Okta will not show again.
func (r *run) createOrg(ctx context.Context, reconcile bool) error {
	step := events.StepCreateOrg
	r.step = step
	req, err := r.orgRequest()
	if err != nil {
		return err
	}
	// Attempts made in earlier deliveries; computed before "started" is
	// recorded, so that the attempt being started is not counted twice.
	base := r.attempt(step) - 1
	recorded := r.sg.State == outbox.StateOrgPending
	if recorded && !reconcile {
		base = r.sg.Attempts - 1 // this run recorded the start just now
	}
	if !recorded {
		err := r.record(ctx, outbox.Change{
			State: outbox.StateOrgPending, Step: step, Status: "started", Attempt: base + 1,
			Detail: map[string]string{"subdomain": req.Subdomain},
		})
		if err != nil {
			return err
		}
	}
	r.w.crash(CrashBeforeCreateOrg)
	var org *okta.Org
	err = r.callAt(ctx, step, base, func(ctx context.Context) error {
		var err error
		org, err = r.w.cfg.Okta.CreateOrg(ctx, r.w.cfg.ISVHost, r.w.cfg.ISVToken, req)
		return err
	})
	r.w.noteISV(err)
	if err != nil {
		if !r.w.ISVHealthy() {
			return errISVRejected
		}
		if oe := okta.AsError(err); reconcile && oe != nil && oe.Code == okta.CodeSubdomainExists {
			return &unconfirmedOrgError{subdomain: req.Subdomain, cause: oe}
		}
		return err
	}
	r.w.crash(CrashAfterCreateOrgCall)
	if err := r.orgCreated(ctx, org, req.Subdomain); err != nil {
		return err
	}
	r.w.crash(CrashAfterCreateOrgCommit)
	return nil
}

func (r *run) orgCreated(ctx context.Context, org *okta.Org, subdomain string) error {
	host := subdomain + "." + parentDomain(r.w.cfg.ISVHost)
	if err := r.w.cfg.Okta.CheckHost(host); err != nil {
		return err
	}
	r.orgToken = org.Token
	// Okta shows the token only in this answer: commit it even when the
	// worker is shutting down.
	err := r.record(context.WithoutCancel(ctx), outbox.Change{
		State: outbox.StateAppPending, Step: events.StepCreateOrg, Status: "done",
		Attempt: r.attempts, OrgID: org.ID, OrgHost: host, OrgToken: org.Token,
		Detail: map[string]string{"org_id": org.ID, "host": host},
		Next:   r.appStarted(),
	})
	if err == nil {
		r.started = true
	}
	return err
}

// parentDomain drops the first label: "acme.oktapreview.com" gives
// "oktapreview.com".
func parentDomain(host string) string {
	_, rest, _ := strings.Cut(host, ".")
	return rest
}

// unconfirmedOrgError: a lost org creation whose subdomain now exists. The
// org is probably ours, but its token was shown only in the lost response,
// so an operator has to take over.
type unconfirmedOrgError struct {
	subdomain string
	cause     *okta.Error
}

func (e *unconfirmedOrgError) Error() string {
	return fmt.Sprintf("org %q exists after a create whose outcome was lost", e.subdomain)
}

// createApp instantiates the ISV's app in the customer's org. reconcile is
// set when an earlier attempt's outcome was lost: the app is looked up by
// its label before a new one is created.
func (r *run) createApp(ctx context.Context, reconcile bool) error {
	step := events.StepCreateApp
	r.step = step
	host, token, err := r.orgAccess()
	if err != nil {
		return err
	}
	base := r.attempt(step) - 1 // as in createOrg
	recorded := r.sg.State == outbox.StateAppPending
	if recorded && !reconcile {
		base = r.sg.Attempts - 1
	}
	if reconcile {
		var found *okta.App
		err := r.callAt(ctx, step, base, func(ctx context.Context) error {
			var err error
			found, err = r.w.cfg.Okta.FindAppByLabel(ctx, host, token, r.sg.AppName, r.sg.AppLabel)
			return r.settling(err, okta.CodeInvalidToken)
		})
		if err != nil {
			return err
		}
		if found != nil {
			r.appCreated(found, true)
			return nil
		}
	}
	if !recorded {
		err = r.record(ctx, outbox.Change{
			State: outbox.StateAppPending, Step: step, Status: "started", Attempt: base + 1,
			Detail: map[string]string{"name": r.sg.AppName, "label": r.sg.AppLabel},
		})
		if err != nil {
			return err
		}
	}
	app := r.d.Signup.App
	req := &okta.CreateAppRequest{
		Name: app.Name, Label: r.sg.AppLabel, Status: "ACTIVE",
		SignOnMode: "SAML_2_0", Settings: okta.AppSettings{App: app.Settings.App},
	}
	r.w.crash(CrashBeforeCreateApp)
	var created *okta.App
	err = r.callAt(ctx, step, base, func(ctx context.Context) error {
		var err error
		created, err = r.w.cfg.Okta.CreateApp(ctx, host, token, req)
		return r.settling(err, okta.CodeInvalidToken)
	})
	if err != nil {
		return err
	}
	r.w.crash(CrashAfterCreateAppCall)
	r.appCreated(created, false)
	return nil
}

// appCreated notes the app Okta created (or the lookup found). It is not
// committed on its own: the metadata fetch that follows is a read, so the
// app's "done" entry goes into the same commit as the step after it (the
// result, or the failure). A crash before that commit leaves app_pending,
// and the restart finds the app again by its label.
func (r *run) appCreated(app *okta.App, found bool) {
	r.sg.AppID = app.ID
	r.sg.State = outbox.StateAppCreated
	r.newApp = &outbox.Entry{Step: events.StepCreateApp, Status: "done", Attempt: r.attempts,
		Detail: map[string]any{"app_id": app.ID, "found_by_label": found}}
}

// withApp folds the uncommitted app creation, if any, into c: its journal
// entry goes first and c's own entry follows it (as c.Next, so c must not
// carry a Next of its own; no change made after an app creation does).
func (r *run) withApp(c outbox.Change) outbox.Change {
	a := r.newApp
	if a == nil {
		return c
	}
	next := &outbox.Entry{Step: c.Step, Status: c.Status, Attempt: c.Attempt, Detail: c.Detail}
	if c.Step == "" {
		next = nil
	}
	c.Step, c.Status, c.Attempt, c.Detail, c.Next = a.Step, a.Status, a.Attempt, a.Detail, next
	c.AppID = r.sg.AppID
	if c.State == "" {
		c.State = outbox.StateAppCreated
	}
	return c
}

// settling treats code as transient for a new tenant's org: Okta says a
// new org may take a while before its own token works.
func (r *run) settling(err error, code string) error {
	if oe := okta.AsError(err); oe != nil && oe.Code == code && r.sg.Tenant == events.TenantNew {
		return okta.Transient(err)
	}
	return err
}

// finish fetches and parses the metadata and commits the result.
func (r *run) finish(ctx context.Context) error {
	step := events.StepFetchMetadata
	r.step = step
	host, token, err := r.orgAccess()
	if err != nil {
		return err
	}
	var raw []byte
	err = r.call(ctx, step, func(ctx context.Context) error {
		var err error
		raw, err = r.w.cfg.Okta.Metadata(ctx, host, token, r.sg.AppID)
		// Right after creation Okta may not know the new app yet.
		if oe := okta.AsError(err); oe != nil && oe.Code == okta.CodeNotFound {
			return okta.Transient(err)
		}
		return r.settling(err, okta.CodeInvalidToken)
	})
	if err != nil {
		return err
	}
	r.w.crash(CrashAfterMetadataCall)
	md, err := events.ParseSAMLMetadata(raw)
	if err != nil {
		return &metadataError{err}
	}
	msg, err := r.w.provisioned(r.d, r.sg, md)
	if err != nil {
		return err
	}
	err = r.record(ctx, outbox.Change{
		State: outbox.StateProvisioned, Step: step, Status: "done", Attempt: r.attempts,
		Detail:  map[string]any{"entity_id": md.EntityID, "certificates": len(md.Certificates)},
		Results: []*outbox.Message{msg}, Release: true,
	})
	if err != nil {
		return err
	}
	r.w.crash(CrashAfterResultCommit)
	r.w.cfg.Observer.Result("provisioned", "")
	r.log.Info().Str("state", outbox.StateProvisioned).Str("org_host", host).
		Str("app_id", r.sg.AppID).Msg("signup provisioned")
	return nil
}

type metadataError struct{ err error }

func (e *metadataError) Error() string { return "parse metadata: " + e.err.Error() }
func (e *metadataError) Unwrap() error { return e.err }

type secretError struct {
	field string
	err   error
}

func (e *secretError) Error() string { return e.field + ": " + e.err.Error() }
func (e *secretError) Unwrap() error { return e.err }
