package okta

import (
	"net/http"
	"testing"
)

func BenchmarkCheckHost(b *testing.B) {
	c := newClientFor(b, "", nil)
	for b.Loop() {
		if _, err := c.checkHost("MyCompany-Admin.OktaPreview.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMetadata(b *testing.B) {
	body := testdata(b, "metadata.xml")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
	c := newTestClient(b, h, func(cfg *Config) { cfg.NoThrottle = false })
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Metadata(ctx, testHost, testToken, testAppID); err != nil {
			b.Fatal(err)
		}
	}
}
