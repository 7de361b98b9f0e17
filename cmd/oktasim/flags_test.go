package main

import (
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec    string
		want    endpointFault
		wantErr bool
	}{
		{spec: "endpoint=orgs,status=500,code=E0000009,count=1",
			want: endpointFault{oktatest.EndpointOrgs,
				oktatest.Fault{Status: 500, Code: "E0000009", Count: 1}}},
		{spec: "endpoint=apps,reset=true,after=true,latency=2s,rate=0.5",
			want: endpointFault{oktatest.EndpointApps, oktatest.Fault{Reset: true,
				AfterSuccess: true, Latency: 2 * time.Second, Rate: 0.5}}},
		{spec: "endpoint=me,status=429,header=Date:,header=X-Rate-Limit-Reset:1," +
			"header=x-rate-limit-reset:2",
			want: endpointFault{oktatest.EndpointMe, oktatest.Fault{Status: 429,
				Headers: http.Header{"Date": nil, "X-Rate-Limit-Reset": {"1", "2"}}}}},
		{spec: "status=500", wantErr: true},
		{spec: "endpoint=nope", wantErr: true},
		{spec: "endpoint=me,status=9000", wantErr: true},
		{spec: "endpoint=me,rate=2", wantErr: true},
		{spec: "endpoint=me,color=red", wantErr: true},
		{spec: "endpoint=me,header=nocolon", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseFault(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseFault(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseFault(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		spec    string
		want    rateLimit
		wantErr bool
	}{
		{spec: "orgs=10/1m", want: rateLimit{oktatest.BucketOrgs, 10, time.Minute}},
		{spec: "apps=100/60s", want: rateLimit{oktatest.BucketApps, 100, time.Minute}},
		{spec: "bogus=1/1m", wantErr: true},
		{spec: "orgs=x/1m", wantErr: true},
		{spec: "orgs=1/0s", wantErr: true},
		{spec: "orgs=1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseRateLimit(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseRateLimit(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("parseRateLimit(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	env := func(k string) string { return map[string]string{"OKTASIM_ISV_TOKEN": "envtok\r\n"}[k] }
	cfg, err := parseFlags([]string{"--org", "a.okta.com=t1", "--org", "b.okta.com=t2",
		"--new-org-ready-after", "30s"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.opts.ISVToken, "envtok"; got != want {
		t.Errorf("ISV token from env = %q, want %q", got, want)
	}
	if len(cfg.opts.Orgs) != 2 || cfg.opts.NewOrgReadyAfter != 30*time.Second {
		t.Errorf("opts = %+v", cfg.opts)
	}
	cfg, err = parseFlags([]string{"--isv-token", "flagtok"}, env, io.Discard)
	if err != nil || cfg.opts.ISVToken != "flagtok" {
		t.Errorf("flag token: %v %+v", err, cfg)
	}
	for _, args := range [][]string{{"--org", "noequals"}, {"--fault", "status=1"}, {"extra"}} {
		if _, err := parseFlags(args, env, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error", args)
		}
	}
}
