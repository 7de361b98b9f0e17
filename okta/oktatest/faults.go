package oktatest

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// Fault is an injected failure of one endpoint. A fault with neither
// Status, Code nor Reset only adds Latency to a normal answer.
type Fault struct {
	// Latency delays the answer (after the side effect for POSTs, with
	// the org's subdomain reserved during the wait for org creation).
	Latency time.Duration
	// Status is the HTTP status to answer. When 0 and Code is set, the
	// code's usual status (500 for an unknown code).
	Status int
	// Code is the Okta errorCode of the error body, e.g. "E0000009". When
	// empty, the usual code for Status (500 E0000009, 503 E0000010, 429
	// E0000047, ...); a status with no usual code answers an HTML page.
	Code string
	// Count faults only the next Count matching requests; 0 means all.
	Count int
	// Rate faults this fraction of matching requests, at random; used
	// when Count is 0 and Rate is above 0.
	Rate float64
	// Reset closes the TCP connection (with RST) without answering.
	Reset bool
	// Headers override the faulted response's headers: a key with values
	// replaces the header (several values repeat it), a key with no
	// values removes it (Date included).
	Headers http.Header
	// AfterSuccess performs the real request (creating the org or app)
	// before failing, to emulate a response lost after the side effect.
	AfterSuccess bool
}

func (f Fault) fails() bool { return f.Reset || f.Status != 0 || f.Code != "" }

type faultState struct {
	f    Fault
	left int
}

// SetFault injects f into every later request to e, replacing any fault
// set for e before.
func (s *Server) SetFault(e Endpoint, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Headers = f.Headers.Clone()
	s.faults[e] = &faultState{f: f, left: f.Count}
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault decides whether this request to e is faulted, counting it
// against the fault's Count.
func (s *Server) takeFault(e Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.faults[e]
	if st == nil {
		return Fault{}, false
	}
	switch {
	case st.f.Count > 0:
		st.left--
		if st.left <= 0 {
			delete(s.faults, e)
		}
	case st.f.Rate > 0 && rand.Float64() >= st.f.Rate:
		return Fault{}, false
	}
	return st.f, true
}
