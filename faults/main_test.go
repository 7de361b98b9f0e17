package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// tally adds up what every lab measured, for the summary line.
var tally struct {
	sync.Mutex
	crashPoints   map[string]bool
	signups       int
	orgsCreated   int
	duplicateOrgs int
	lost          int
	results       int
}

// noteCrash records a crash point at which a worker process really died.
func noteCrash(point string) {
	tally.Lock()
	defer tally.Unlock()
	if tally.crashPoints == nil {
		tally.crashPoints = map[string]bool{}
	}
	tally.crashPoints[point] = true
}

// summary is the suite's one summary line.
func summary() string {
	tally.Lock()
	defer tally.Unlock()
	return fmt.Sprintf("faults: crash_points=%d signups=%d orgs_created=%d duplicate_orgs=%d lost=%d results=%d",
		len(tally.crashPoints), tally.signups, tally.orgsCreated, tally.duplicateOrgs, tally.lost, tally.results)
}

// crashPointNames lists the crash points that fired, sorted.
func crashPointNames() string {
	tally.Lock()
	defer tally.Unlock()
	var names []string
	for p := range tally.crashPoints {
		names = append(names, p)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// binary builds bin/provisioner once per run and returns its path.
func binary(tb testing.TB) string {
	tb.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "faults-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "provisioner")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/provisioner")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build ./cmd/provisioner: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	if testing.Verbose() {
		fmt.Println("crash points that fired:", crashPointNames())
	}
	// The summary is the last line `make faults` keeps.
	fmt.Println(summary())
	os.Exit(code)
}
