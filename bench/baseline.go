package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
)

// baseline is the floor any implementation pays: consume a signup from
// JetStream, make the same four Okta calls with a plain net/http client,
// publish a result and ack. No journal, no outbox, no validation, no
// retries.
type baseline struct {
	e    *env
	http *http.Client
	base string
	ok   atomic.Int64
	bad  atomic.Int64
	last atomic.Int64
}

func newBaseline(e *env, concurrency int) *baseline {
	tr := &http.Transport{MaxIdleConns: concurrency * 2, MaxIdleConnsPerHost: concurrency * 2}
	return &baseline{e: e, http: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		base: e.emuURL}
}

// run consumes with concurrency workers until ctx ends.
func (b *baseline) run(ctx context.Context, concurrency int) error {
	cons, err := b.e.js.CreateOrUpdateConsumer(ctx, b.e.streams.Signups, jetstream.ConsumerConfig{
		Durable: "baseline", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		MaxAckPending: concurrency * 4, FilterSubject: b.e.subjects.Signup,
	})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(concurrency))
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); it.Stop() }()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := it.Next()
				if err != nil {
					return
				}
				if err := b.handle(ctx, msg); err != nil {
					b.bad.Add(1)
					msg.Nak()
					continue
				}
				msg.Ack()
				b.ok.Add(1)
				b.last.Store(time.Now().UnixNano())
			}
		}()
	}
	wg.Wait()
	return nil
}

func (b *baseline) handle(ctx context.Context, msg jetstream.Msg) error {
	var ev events.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		return err
	}
	var s events.Signup
	if err := json.Unmarshal(ev.Data, &s); err != nil {
		return err
	}
	o := s.Org
	pw, err := b.e.seal.Open(o.Admin.Credentials.Password.Value)
	if err != nil {
		return err
	}
	answer, err := b.e.seal.Open(o.Admin.Credentials.RecoveryQuestion.Answer)
	if err != nil {
		return err
	}
	if err := b.call(ctx, "GET", isvHost, isvToken, "/api/v1/users/me", nil, nil); err != nil {
		return err
	}
	var org okta.Org
	req := &okta.CreateOrgRequest{Subdomain: o.Subdomain, Name: o.Name, Website: o.Website,
		Edition: o.Edition, Licensing: &okta.Licensing{Apps: o.Licensing.Apps},
		Admin: okta.OrgAdmin{
			Profile: okta.OrgAdminProfile{FirstName: o.Admin.Profile.FirstName,
				LastName: o.Admin.Profile.LastName, Email: o.Admin.Profile.Email, Login: o.Admin.Profile.Login},
			Credentials: &okta.OrgAdminCredentials{Password: &okta.PasswordValue{Value: pw},
				RecoveryQuestion: &okta.RecoveryQuestion{
					Question: o.Admin.Credentials.RecoveryQuestion.Question, Answer: answer}},
		}}
	if err := b.call(ctx, "POST", isvHost, isvToken, "/api/v1/orgs", req, &org); err != nil {
		return err
	}
	host := o.Subdomain + ".oktapreview.com"
	var app okta.App
	areq := &okta.CreateAppRequest{Name: s.App.Name, Label: s.App.Label, Status: "ACTIVE",
		SignOnMode: "SAML_2_0", Settings: okta.AppSettings{App: s.App.Settings.App}}
	if err := b.call(ctx, "POST", host, org.Token, "/api/v1/apps", areq, &app); err != nil {
		return err
	}
	var md []byte
	if err := b.call(ctx, "GET", host, org.Token, "/api/v1/apps/"+app.ID+"/sso/saml/metadata",
		nil, &md); err != nil {
		return err
	}
	result, err := json.Marshal(map[string]any{"id": ev.ID, "orgId": org.ID, "appId": app.ID,
		"metadata": string(md)})
	if err != nil {
		return err
	}
	out := nats.NewMsg(b.e.subjects.Provisioned)
	out.Data = result
	out.Header.Set(jetstream.MsgIDHeader, "result:"+ev.ID)
	_, err = b.e.js.PublishMsg(ctx, out)
	return err
}

// call makes one request; into is a JSON target, or *[]byte for the raw
// body.
func (b *baseline) call(ctx context.Context, method, host, token, path string, body, into any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Host = host
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	switch v := into.(type) {
	case nil:
		return nil
	case *[]byte:
		*v = raw
		return nil
	default:
		if err := json.Unmarshal(raw, v); err != nil {
			return errors.New("bad json answer")
		}
		return nil
	}
}
