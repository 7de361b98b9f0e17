package oktatest

import (
	"maps"
	"sync"
	"time"
)

// requestLogSize bounds the log of recent requests.
const requestLogSize = 1000

// Request is the log record of one request. It never holds a token, an
// Authorization header, a password or a body.
type Request struct {
	Time      time.Time `json:"time"` // emulator clock
	Method    string    `json:"method"`
	Path      string    `json:"path"` // without the query
	Endpoint  Endpoint  `json:"endpoint"`
	Host      string    `json:"host"`
	Status    int       `json:"status"` // 0 when the connection was reset
	ErrorCode string    `json:"errorCode,omitempty"`
	RequestID string    `json:"requestId"`
	// Duration is the real time spent answering.
	Duration time.Duration `json:"duration"`
	// Fault is true when an injected fault shaped the answer.
	Fault bool `json:"fault,omitempty"`
}

// Stats counts the requests answered so far.
type Stats struct {
	Total      int              `json:"total"`
	ByEndpoint map[Endpoint]int `json:"byEndpoint"`
	// ByStatus counts by HTTP status; 0 counts reset connections.
	ByStatus         map[int]int              `json:"byStatus"`
	ByEndpointStatus map[Endpoint]map[int]int `json:"byEndpointStatus"`
	ByErrorCode      map[string]int           `json:"byErrorCode"`
}

type requestLog struct {
	mu    sync.Mutex
	ring  []Request
	next  int
	stats Stats
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ring) < requestLogSize {
		l.ring = append(l.ring, r)
	} else {
		l.ring[l.next] = r
	}
	l.next = (l.next + 1) % requestLogSize
	st := &l.stats
	if st.ByEndpoint == nil {
		st.ByEndpoint = make(map[Endpoint]int)
		st.ByStatus = make(map[int]int)
		st.ByEndpointStatus = make(map[Endpoint]map[int]int)
		st.ByErrorCode = make(map[string]int)
	}
	st.Total++
	st.ByEndpoint[r.Endpoint]++
	st.ByStatus[r.Status]++
	if st.ByEndpointStatus[r.Endpoint] == nil {
		st.ByEndpointStatus[r.Endpoint] = make(map[int]int)
	}
	st.ByEndpointStatus[r.Endpoint][r.Status]++
	if r.ErrorCode != "" {
		st.ByErrorCode[r.ErrorCode]++
	}
}

// Requests returns the most recent requests (up to 1000), oldest first.
func (s *Server) Requests() []Request {
	l := &s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.ring))
	if len(l.ring) == requestLogSize {
		out = append(out, l.ring[l.next:]...)
		return append(out, l.ring[:l.next]...)
	}
	return append(out, l.ring...)
}

// Stats returns a copy of the request counts.
func (s *Server) Stats() Stats {
	l := &s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{
		Total:            l.stats.Total,
		ByEndpoint:       maps.Clone(l.stats.ByEndpoint),
		ByStatus:         maps.Clone(l.stats.ByStatus),
		ByEndpointStatus: make(map[Endpoint]map[int]int),
		ByErrorCode:      maps.Clone(l.stats.ByErrorCode),
	}
	for e, m := range l.stats.ByEndpointStatus {
		st.ByEndpointStatus[e] = maps.Clone(m)
	}
	if st.ByEndpoint == nil {
		st.ByEndpoint = make(map[Endpoint]int)
		st.ByStatus = make(map[int]int)
		st.ByErrorCode = make(map[string]int)
	}
	return st
}
