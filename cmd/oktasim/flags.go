package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// errUsage marks a bad command line; the flag package already printed it.
var errUsage = errors.New("bad usage")

const usageText = `Usage: oktasim [flags]

Serves an Okta emulator (users/me, orgs, apps, SAML metadata) over HTTP.
Clients send to its URL with the Host header set to the org's host, e.g.
"acme.oktapreview.com". Admin endpoints, without secrets:
GET /__oktasim/stats and GET /__oktasim/requests[?limit=N].

Flags:
`

const formatsText = `
Formats:
  --org HOST=TOKEN
      an existing customer org, e.g. --org cust.okta.com=cust-token.
  --fault KEY=VALUE,KEY=VALUE,...
      keys: endpoint (required: me, orgs, apps, list-apps, metadata),
      status (HTTP status), code (Okta code, e.g. E0000009), count (fault
      only the next N requests; 0 = all), rate (fraction 0..1 faulted at
      random), latency (duration, e.g. 2s), reset (true: close the TCP
      connection without answering), after (true: fail after the real
      side effect), header (NAME:VALUE sets a response header, repeat for
      several values; NAME: removes it). Values cannot hold commas.
      Examples: --fault endpoint=orgs,status=500,count=1
                --fault endpoint=apps,reset=true,after=true,count=1
                --fault endpoint=me,status=429,header=Date:
  --rate-limit BUCKET=LIMIT/WINDOW
      buckets: orgs (POST /api/v1/orgs), apps (/api/v1/apps*), me
      (/api/v1/users/me), other; e.g. --rate-limit orgs=10/1m.
  The ISV token may come from OKTASIM_ISV_TOKEN instead of --isv-token.
`

// config is the parsed command line.
type config struct {
	addr   string
	opts   oktatest.Options
	faults []endpointFault
	limits []rateLimit
	quiet  bool
}

type endpointFault struct {
	endpoint oktatest.Endpoint
	fault    oktatest.Fault
}

type rateLimit struct {
	bucket string
	n      int
	window time.Duration
}

// listFlag collects a repeatable flag through parse.
type listFlag func(string) error

func (f listFlag) String() string     { return "" }
func (f listFlag) Set(v string) error { return f(v) }

// parseFlags parses args; getenv supplies OKTASIM_ISV_TOKEN.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("oktasim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
		fmt.Fprint(stderr, formatsText)
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8181", "listen address")
	fs.StringVar(&cfg.opts.ISVHost, "isv-host", oktatest.DefaultISVHost,
		"the ISV's org host, which may create orgs")
	var isvToken string
	fs.StringVar(&isvToken, "isv-token", "",
		"the ISV's API token (default $OKTASIM_ISV_TOKEN, else a fixed dev token)")
	fs.Var(listFlag(func(v string) error {
		host, token, ok := strings.Cut(v, "=")
		if !ok || host == "" || token == "" {
			return errors.New("want HOST=TOKEN")
		}
		cfg.opts.Orgs = append(cfg.opts.Orgs, oktatest.Org{Host: host, Token: token})
		return nil
	}), "org", "an existing org as HOST=TOKEN (repeatable)")
	fs.DurationVar(&cfg.opts.NewOrgReadyAfter, "new-org-ready-after", 0,
		"a new org's token answers E0000011 for this long")
	fs.DurationVar(&cfg.opts.MetadataReadyAfter, "metadata-ready-after", 0,
		"a new app's metadata answers 404 for this long")
	fs.DurationVar(&cfg.opts.Latency, "latency", 0, "latency added to every API request")
	fs.BoolVar(&cfg.opts.RequireSymbol, "require-symbol", false,
		"the password policy also requires a symbol")
	fs.Var(listFlag(func(v string) error {
		f, err := parseFault(v)
		cfg.faults = append(cfg.faults, f)
		return err
	}), "fault", "inject a fault, see Formats (repeatable)")
	fs.Var(listFlag(func(v string) error {
		l, err := parseRateLimit(v)
		cfg.limits = append(cfg.limits, l)
		return err
	}), "rate-limit", "set a bucket's limit as BUCKET=LIMIT/WINDOW (repeatable)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "do not log each request")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		return nil, errUsage
	}
	if isvToken == "" {
		isvToken = strings.TrimRight(getenv("OKTASIM_ISV_TOKEN"), "\r\n")
	}
	cfg.opts.ISVToken = isvToken
	return cfg, nil
}

var endpointNames = map[string]oktatest.Endpoint{
	"me":        oktatest.EndpointMe,
	"orgs":      oktatest.EndpointOrgs,
	"apps":      oktatest.EndpointApps,
	"list-apps": oktatest.EndpointListApps,
	"metadata":  oktatest.EndpointMetadata,
}

var bucketNames = map[string]string{
	"orgs":  oktatest.BucketOrgs,
	"apps":  oktatest.BucketApps,
	"me":    oktatest.BucketMe,
	"other": oktatest.BucketOther,
}

// parseFault parses "endpoint=orgs,status=500,...".
func parseFault(spec string) (endpointFault, error) {
	var ef endpointFault
	f := &ef.fault
	for _, item := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return ef, fmt.Errorf("fault item %q: want KEY=VALUE", item)
		}
		var err error
		switch key {
		case "endpoint":
			if ef.endpoint, ok = endpointNames[val]; !ok {
				err = errors.New("unknown endpoint")
			}
		case "status":
			f.Status, err = strconv.Atoi(val)
			if err == nil && (f.Status < 100 || f.Status > 599) {
				err = errors.New("not an HTTP status")
			}
		case "code":
			f.Code = val
		case "count":
			f.Count, err = strconv.Atoi(val)
		case "rate":
			f.Rate, err = strconv.ParseFloat(val, 64)
			if err == nil && (f.Rate < 0 || f.Rate > 1) {
				err = errors.New("not within 0..1")
			}
		case "latency":
			f.Latency, err = time.ParseDuration(val)
		case "reset":
			f.Reset, err = strconv.ParseBool(val)
		case "after":
			f.AfterSuccess, err = strconv.ParseBool(val)
		case "header":
			err = addHeader(f, val)
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return ef, fmt.Errorf("fault %s=%q: %w", key, val, err)
		}
	}
	if ef.endpoint == "" {
		return ef, errors.New("fault: endpoint is required")
	}
	return ef, nil
}

// addHeader adds "NAME:VALUE" to the fault's headers; "NAME:" removes.
func addHeader(f *oktatest.Fault, spec string) error {
	name, val, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return errors.New("want NAME:VALUE")
	}
	if f.Headers == nil {
		f.Headers = http.Header{}
	}
	name = http.CanonicalHeaderKey(name)
	if val == "" {
		f.Headers[name] = nil
		return nil
	}
	f.Headers[name] = append(f.Headers[name], val)
	return nil
}

// parseRateLimit parses "orgs=10/1m".
func parseRateLimit(spec string) (rateLimit, error) {
	var l rateLimit
	name, rest, ok := strings.Cut(spec, "=")
	n, window, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return l, errors.New("want BUCKET=LIMIT/WINDOW")
	}
	if l.bucket, ok = bucketNames[name]; !ok {
		return l, fmt.Errorf("unknown bucket %q", name)
	}
	var err error
	if l.n, err = strconv.Atoi(n); err != nil || l.n < 0 {
		return l, fmt.Errorf("bad limit %q", n)
	}
	if l.window, err = time.ParseDuration(window); err != nil || l.window <= 0 {
		return l, fmt.Errorf("bad window %q", window)
	}
	return l, nil
}
