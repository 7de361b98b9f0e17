package app

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// CrashEnv names the test-only crash hook's environment variable. Its
// value is "POINT" or "POINT:N": the process kills itself with SIGKILL the
// N-th time (default the first) it reaches POINT, one of the provision
// package's Crash* step boundaries or the relay's
// "after_publish_before_mark". The fault suite (package faults) uses it to
// stop a worker at an exact step boundary and check that a restart resumes
// exactly. It is read once at start-up, is refused outside --dev, and has
// no effect when unset.
const CrashEnv = "PROVISIONER_CRASH_AT"

// crashHook parses spec and returns the hook, or nil when spec is empty.
func crashHook(spec string, dev bool, log zerolog.Logger) (func(point string), error) {
	if spec == "" {
		return nil, nil
	}
	if !dev {
		return nil, fmt.Errorf("setting %s: a test-only crash hook, allowed with --dev only", CrashEnv)
	}
	point, count, hasCount := strings.Cut(spec, ":")
	n := 1
	if hasCount {
		var err error
		if n, err = strconv.Atoi(count); err != nil || n <= 0 {
			return nil, fmt.Errorf("setting %s: want POINT or POINT:N with N > 0, got %q", CrashEnv, spec)
		}
	}
	if point == "" {
		return nil, fmt.Errorf("setting %s: want POINT or POINT:N, got %q", CrashEnv, spec)
	}
	log.Warn().Str("crash_point", point).Int("crash_hit", n).
		Msg("TEST CRASH HOOK armed: the process will kill itself at this point")
	var hits atomic.Int64
	return func(p string) {
		if p != point || hits.Add(1) != int64(n) {
			return
		}
		log.Warn().Str("crash_point", p).Msg("test crash hook fired: killing the process")
		if proc, err := os.FindProcess(os.Getpid()); err == nil {
			proc.Kill() // SIGKILL: no deferred function, no cleanup runs
		}
		select {} // never return to the caller while the signal lands
	}, nil
}
