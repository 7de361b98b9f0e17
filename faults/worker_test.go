package faults

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerOpts adjusts one worker process.
type workerOpts struct {
	// crashAt arms the test-only crash hook (PROVISIONER_CRASH_AT).
	crashAt string
	// token is the ISV token the worker uses; default the lab's.
	token string
	// args are extra flags; a flag given again overrides the default.
	args []string
}

// worker is one `provisioner run --dev` process.
type worker struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	log  string // its stderr
	done chan struct{}
	err  error // set when done is closed
}

// startWorker starts a worker process on the lab's broker, emulator and
// data directory. The test's cleanup kills it if it still runs.
func (l *lab) startWorker(o workerOpts) *worker {
	l.t.Helper()
	l.mu.Lock()
	l.nworkers++
	name := fmt.Sprintf("worker-%d", l.nworkers)
	l.mu.Unlock()
	if err := os.MkdirAll(l.logDir, 0o700); err != nil {
		l.t.Fatal(err)
	}
	args := []string{"run", "--dev",
		"--nats-url", l.ns.URL(),
		"--okta-dev-endpoint", l.emu.URL(),
		"--okta-isv-host", isvHost,
		"--data-dir", l.dir,
		"--http-addr", "127.0.0.1:0",
		"--ack-wait", "2s",
		"--max-deliver", "20",
		"--retry-attempts", "4",
		"--retry-max-hold", "3s",
		"--isv-recheck", "1s",
		"--concurrency", "8",
		"--grace", "10s",
		"--log-format", "json",
		"--log-level", "debug",
	}
	args = append(args, o.args...)
	token := o.token
	if token == "" {
		token = l.isvToken
	}
	cmd := exec.Command(binary(l.t), args...)
	cmd.Dir = l.logDir
	// Secrets go through the environment, not the command line.
	cmd.Env = append(cleanEnv(),
		"PROVISIONER_OKTA_TOKEN="+token,
		"PROVISIONER_SEAL_KEYS="+l.sealSpec,
		"PROVISIONER_STORE_KEYS="+l.storeSpec,
	)
	if o.crashAt != "" {
		cmd.Env = append(cmd.Env, "PROVISIONER_CRASH_AT="+o.crashAt)
	}
	logPath := filepath.Join(l.logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd.Stderr = f
	cmd.Stdout = f
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatal(err)
	}
	w := &worker{t: l.t, name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		w.err = cmd.Wait()
		f.Close()
		close(w.done)
	}()
	l.t.Cleanup(func() {
		w.kill()
		if l.t.Failed() {
			l.t.Logf("%s (crash hook %q) log tail:\n%s", name, o.crashAt, tail(logPath, 40))
		}
	})
	return w
}

// cleanEnv is the test's environment without any PROVISIONER_ setting.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROVISIONER_") {
			env = append(env, kv)
		}
	}
	return env
}

// exited reports whether the process has ended.
func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to end and returns how it ended.
func (w *worker) wait() error {
	w.t.Helper()
	select {
	case <-w.done:
		return w.err
	case <-time.After(exitTimeout):
		w.t.Fatalf("%s did not exit within %s", w.name, exitTimeout)
		return nil
	}
}

// kill ends the process with SIGKILL, if it still runs.
func (w *worker) kill() {
	if !w.exited() {
		w.cmd.Process.Kill()
		<-w.done
	}
}

// waitReady waits until the worker serves its endpoints: its loops run
// and its signal handler is installed.
func (w *worker) waitReady() {
	w.t.Helper()
	waitFor(w.t, w.name+" to run", exitTimeout, func() bool {
		if w.exited() {
			w.t.Fatalf("%s exited while starting: %v\n%s", w.name, w.err, tail(w.log, 20))
		}
		return w.logLine("serving /healthz")
	})
}

// stop sends SIGTERM and checks the process exits with status 0.
func (w *worker) stop() {
	w.t.Helper()
	w.waitReady()
	if w.exited() {
		w.t.Fatalf("%s had already exited: %v", w.name, w.err)
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		w.t.Fatal(err)
	}
	if err := w.wait(); err != nil {
		w.t.Fatalf("%s after SIGTERM: %v, want exit status 0", w.name, err)
	}
}

// expectCrash waits for the process to kill itself at point: it must die
// of SIGKILL, having logged that the crash hook fired there.
func (w *worker) expectCrash(point string) {
	w.t.Helper()
	err := w.wait()
	if !killedBySIGKILL(err) {
		w.t.Fatalf("%s ended with %v, want death by SIGKILL at %s", w.name, err, point)
	}
	if !w.logLine(`"crash_point":"`+point+`"`, "test crash hook fired") {
		w.t.Fatalf("%s died without its crash hook firing at %s", w.name, point)
	}
	noteCrash(point)
}

// logLine reports whether one line of the worker's log holds every part.
func (w *worker) logLine(parts ...string) bool {
	log, _ := os.ReadFile(w.log)
	for _, line := range bytes.Split(log, []byte("\n")) {
		all := true
		for _, p := range parts {
			all = all && bytes.Contains(line, []byte(p))
		}
		if all {
			return true
		}
	}
	return false
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
