package provision

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/okta"
)

// reveal returns a signup secret in plain text: sealed secrets are opened
// with the sealing keyring; plain ones are accepted only when configured.
func (w *Worker) reveal(s events.Secret) (string, error) {
	return w.cfg.Secrets.Open(s)
}

// orgRequest builds Okta's org creation body, secrets revealed.
func (r *run) orgRequest() (*okta.CreateOrgRequest, error) {
	o := r.d.Signup.Org
	req := &okta.CreateOrgRequest{
		Subdomain: o.Subdomain,
		Name:      o.Name,
		Website:   o.Website,
		Edition:   o.Edition,
		Admin: okta.OrgAdmin{Profile: okta.OrgAdminProfile{
			FirstName:   o.Admin.Profile.FirstName,
			LastName:    o.Admin.Profile.LastName,
			Email:       o.Admin.Profile.Email,
			Login:       o.Admin.Profile.Login,
			MobilePhone: o.Admin.Profile.MobilePhone,
		}},
	}
	if o.Licensing != nil {
		req.Licensing = &okta.Licensing{Apps: o.Licensing.Apps}
	}
	c := o.Admin.Credentials
	if c == nil {
		return req, nil
	}
	req.Admin.Credentials = &okta.OrgAdminCredentials{}
	if c.Password != nil {
		v, err := r.w.reveal(c.Password.Value)
		if err != nil {
			return nil, &secretError{field: "org.admin.credentials.password.value", err: err}
		}
		req.Admin.Credentials.Password = &okta.PasswordValue{Value: v}
	}
	if q := c.RecoveryQuestion; q != nil {
		a, err := r.w.reveal(q.Answer)
		if err != nil {
			return nil, &secretError{field: "org.admin.credentials.recovery_question.answer", err: err}
		}
		req.Admin.Credentials.RecoveryQuestion = &okta.RecoveryQuestion{Question: q.Question, Answer: a}
	}
	return req, nil
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
