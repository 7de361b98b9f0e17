package events

import (
	"encoding/json"
	"fmt"
)

// Paths of the secret fields of a Signup, relative to the event's data.
const (
	PathAdminPassword  = "org.admin.credentials.password.value"
	PathRecoveryAnswer = "org.admin.credentials.recovery_question.answer"
	PathAPIToken       = "existing.apiToken"
)

// secretRef points at one secret field of a Signup.
type secretRef struct {
	path   string
	secret *Secret
}

// secretRefs returns the secret fields that are present (their parents
// are set), empty or not.
func (s *Signup) secretRefs() []secretRef {
	var refs []secretRef
	if s.Org != nil && s.Org.Admin.Credentials != nil {
		cr := s.Org.Admin.Credentials
		if cr.Password != nil {
			refs = append(refs, secretRef{PathAdminPassword, &cr.Password.Value})
		}
		if cr.RecoveryQuestion != nil {
			refs = append(refs, secretRef{PathRecoveryAnswer, &cr.RecoveryQuestion.Answer})
		}
	}
	if s.Existing != nil {
		refs = append(refs, secretRef{PathAPIToken, &s.Existing.APIToken})
	}
	return refs
}

// Secrets returns the signup's non-empty secrets, plain or sealed.
func (s *Signup) Secrets() []Secret {
	var out []Secret
	for _, r := range s.secretRefs() {
		if !r.secret.IsZero() {
			out = append(out, *r.secret)
		}
	}
	return out
}

// SealSecrets seals every plain-text secret of s in place with k's
// primary key. Already sealed secrets are left as they are. On error s may
// be partly sealed; every value in it is still valid.
func (s *Signup) SealSecrets(k *Keyring) error {
	for _, r := range s.secretRefs() {
		if r.secret.IsZero() || r.secret.IsSealed() {
			continue
		}
		sealed, err := k.Seal(r.secret.raw)
		if err != nil {
			return fmt.Errorf("seal %s: %w", r.path, err)
		}
		*r.secret = sealed
	}
	return nil
}

// clone returns a copy of s that shares nothing that SealSecrets writes.
func (s *Signup) clone() *Signup {
	c := *s
	if s.Org != nil {
		o := *s.Org
		if cr := o.Admin.Credentials; cr != nil {
			crc := *cr
			if cr.Password != nil {
				p := *cr.Password
				crc.Password = &p
			}
			if cr.RecoveryQuestion != nil {
				q := *cr.RecoveryQuestion
				crc.RecoveryQuestion = &q
			}
			o.Admin.Credentials = &crc
		}
		c.Org = &o
	}
	if s.Existing != nil {
		e := *s.Existing
		c.Existing = &e
	}
	return &c
}

// MarshalSealed returns the JSON of ev with s as its data, every secret
// sealed with k. Neither ev nor s is changed. Use it to publish a signup
// or to keep one in a dead letter.
func MarshalSealed(ev *Event, s *Signup, k *Keyring) ([]byte, error) {
	c := s.clone()
	if err := c.SealSecrets(k); err != nil {
		return nil, fmt.Errorf("marshal sealed: %w", err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("marshal sealed: %w", err)
	}
	e := *ev
	e.Data = data
	if e.DataContentType == "" {
		e.DataContentType = ContentTypeJSON
	}
	out, err := json.Marshal(&e)
	if err != nil {
		return nil, fmt.Errorf("marshal sealed: %w", err)
	}
	return out, nil
}
