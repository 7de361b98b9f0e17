package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/embedded-occ/provisioner/outbox"
)

// Handler serves the operator endpoints:
//
//	GET /healthz            200 while the process runs
//	GET /readyz             200 when NATS, the consumer, the database and
//	                        the ISV token all work; 503 with the reasons
//	GET /metrics            Prometheus text format
//	GET /v1/signups/{id}    one signup's journal, never a secret
func (rt *Runtime) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", rt.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(rt.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /v1/signups/{id}", rt.signup)
	return mux
}

// Readiness checks each dependency and returns the failing ones.
func (rt *Runtime) Readiness(ctx context.Context) map[string]string {
	checks := map[string]string{}
	if rt.NC == nil || !rt.NC.IsConnected() {
		checks["nats"] = "not connected"
	}
	if !rt.Consumer.Live() {
		checks["consumer"] = "signup consumer not live"
	}
	if why := rt.pingStore(ctx); why != "" {
		checks["database"] = why
	}
	if !rt.Worker.ISVHealthy() {
		checks["okta_isv_token"] = "rejected by Okta"
	}
	return checks
}

// pingStore checks that the database takes a write within ctx. SQLite
// waits out another writer's lock without watching ctx, so the answer is
// not waited for past ctx's end: a probe must answer in time.
func (rt *Runtime) pingStore(ctx context.Context) string {
	done := make(chan error, 1)
	go func() { done <- rt.Store.Ping(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return "not writable: " + err.Error()
		}
		return ""
	case <-ctx.Done():
		return "not writable: no answer in time (locked by another process?)"
	}
}

func (rt *Runtime) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	failing := rt.Readiness(ctx)
	if len(failing) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "failing": failing})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// signupView is the journal of one signup as the API shows it.
type signupView struct {
	*outbox.Signup
	LastError any           `json:"lastError,omitempty"`
	Steps     []outbox.Step `json:"steps"`
}

func (rt *Runtime) signup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sg, err := rt.Store.Get(r.Context(), id)
	if errors.Is(err, outbox.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no signup with this id"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot read the journal"})
		return
	}
	steps, err := rt.Store.Journal(r.Context(), id)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot read the journal"})
		return
	}
	v := signupView{Signup: sg, Steps: steps}
	if f := sg.Failure(); f != nil {
		v.LastError = f
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
