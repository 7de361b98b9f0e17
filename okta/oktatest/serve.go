package oktatest

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// route is what the method and path select.
type route struct {
	endpoint Endpoint // EndpointOther for unknown paths and bad methods
	bucket   string
	known    bool   // the path exists
	allow    string // methods the path supports
	appID    string // for the metadata endpoint
}

func routeOf(method, path string) route {
	pick := func(rt route, want string, e Endpoint) route {
		rt.known, rt.allow, rt.endpoint = true, want, EndpointOther
		if method == want {
			rt.endpoint = e
		}
		return rt
	}
	switch {
	case path == "/api/v1/users/me":
		return pick(route{bucket: BucketMe}, http.MethodGet, EndpointMe)
	case path == "/api/v1/orgs":
		rt := pick(route{bucket: BucketOther}, http.MethodPost, EndpointOrgs)
		if rt.endpoint == EndpointOrgs {
			rt.bucket = BucketOrgs
		}
		return rt
	case path == "/api/v1/apps":
		rt := route{bucket: BucketApps, known: true, allow: "GET, POST", endpoint: EndpointOther}
		switch method {
		case http.MethodGet:
			rt.endpoint = EndpointListApps
		case http.MethodPost:
			rt.endpoint = EndpointApps
		}
		return rt
	}
	if id, ok := metadataAppID(path); ok {
		rt := pick(route{bucket: BucketApps}, http.MethodGet, EndpointMetadata)
		rt.appID = id
		return rt
	}
	return route{endpoint: EndpointOther, bucket: BucketOther}
}

// metadataAppID matches /api/v1/apps/{id}/sso/saml/metadata.
func metadataAppID(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/v1/apps/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/sso/saml/metadata")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

// call is one request in progress.
type call struct {
	s       *Server
	r       *http.Request
	now     time.Time
	reqID   string
	host    string
	rt      route
	rate    rateState
	fault   Fault
	faulted bool
	delayed bool
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	c := &call{s: s, r: r, now: s.now(), reqID: newRequestID(), host: normHost(host)}
	c.rt = routeOf(r.Method, r.URL.Path)
	c.rate = s.takeRate(c.host, c.rt.bucket, c.now)
	if c.rt.endpoint != EndpointOther {
		c.fault, c.faulted = s.takeFault(c.rt.endpoint)
	}

	var rep *reply
	if c.faulted && c.fault.fails() && !c.fault.AfterSuccess {
		c.delay()
		if !c.fault.Reset {
			rep = faultReply(c.fault)
		}
	} else {
		rep = c.serve()
		if c.faulted && c.fault.AfterSuccess && c.fault.fails() {
			rep = nil
			if !c.fault.Reset {
				rep = faultReply(c.fault)
			}
		}
	}

	rec := Request{
		Time:      c.now,
		Method:    r.Method,
		Path:      r.URL.Path,
		Endpoint:  c.rt.endpoint,
		Host:      c.host,
		RequestID: c.reqID,
		Fault:     c.faulted,
	}
	if rep != nil {
		rec.Status, rec.ErrorCode = rep.status, rep.code
	}
	// Record before answering, so a client that has its answer finds the
	// request in the log.
	rec.Duration = time.Since(started)
	s.record(rec)
	if rep == nil {
		resetConn(w)
		return
	}
	c.write(w, rep)
}

// record logs a finished request.
func (s *Server) record(rec Request) {
	s.log.add(rec)
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(rec)
	}
}

// serve answers the request for real.
func (c *call) serve() *reply {
	defer c.delay()
	switch {
	case !c.rt.known:
		return oktaError(CodePathNotFound)
	case c.rt.endpoint == EndpointOther:
		rep := oktaError(CodeBadMethod)
		rep.allow = c.rt.allow
		return rep
	case c.rate.exceeded:
		return oktaError(CodeRateLimited)
	}
	o := c.s.lookupOrg(c.host)
	if o == nil {
		return notFound(c.host, "Org")
	}
	token, ok := sswsToken(c.r.Header.Get("Authorization"))
	if !ok {
		return oktaError(CodeInvalidSession)
	}
	if c.s.checkToken(o, token, c.now) != tokenOK {
		return oktaError(CodeInvalidToken)
	}
	switch c.rt.endpoint {
	case EndpointMe:
		return c.me(o)
	case EndpointOrgs:
		return c.createOrg(o)
	case EndpointApps:
		return c.createApp(o)
	case EndpointListApps:
		return c.listApps(o)
	default:
		return c.metadata(o)
	}
}

// sswsToken parses "SSWS <token>".
func sswsToken(h string) (string, bool) {
	token, ok := strings.CutPrefix(h, "SSWS ")
	token = strings.TrimSpace(token)
	if !ok || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// delay sleeps the configured and injected latency, once per request. It
// wakes early when the client goes away or the emulator closes.
func (c *call) delay() {
	if c.delayed {
		return
	}
	c.delayed = true
	d := c.s.opts.Latency
	if c.faulted {
		d += c.fault.Latency
	}
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.r.Context().Done():
	case <-c.s.done:
	}
}

// write sends rep with Okta's headers, then any fault header overrides.
func (c *call) write(w http.ResponseWriter, rep *reply) {
	h := w.Header()
	h.Set("Content-Type", rep.contentType)
	if rep.allow != "" {
		h.Set("Allow", rep.allow)
	}
	remaining := c.rate.remaining
	if rep.status == http.StatusTooManyRequests {
		remaining = 0
	}
	h.Set("Date", c.now.UTC().Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", c.reqID)
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(c.rate.limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(c.rate.reset, 10))
	if c.faulted {
		for k, vs := range c.fault.Headers {
			k = http.CanonicalHeaderKey(k)
			if len(vs) == 0 {
				h[k] = nil // a nil value also stops net/http adding Date
				continue
			}
			h[k] = append([]string(nil), vs...)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// resetConn drops the connection without an answer, with a TCP RST when it
// can.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
