package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// adminPrefix is the path of oktasim's own endpoints; Okta has none there.
const adminPrefix = "/__oktasim/"

// withAdmin serves the admin endpoints beside the emulator.
func withAdmin(sim *oktatest.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, adminPrefix) {
			sim.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "GET only"})
			return
		}
		switch strings.TrimPrefix(r.URL.Path, adminPrefix) {
		case "stats":
			writeJSON(w, http.StatusOK, struct {
				oktatest.Stats
				OrgsCreated []string `json:"orgsCreated"`
			}{sim.Stats(), sim.OrgsCreated()})
		case "requests":
			reqs := sim.Requests()
			if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 0 &&
				n < len(reqs) {
				reqs = reqs[len(reqs)-n:]
			}
			writeJSON(w, http.StatusOK, reqs)
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown admin path"})
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
