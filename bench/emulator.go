package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/embedded-occ/provisioner/okta/oktatest"
)

// emulatorPrefix marks the line with the emulator's URL on the stdout of
// an emulator process (-emulator).
const emulatorPrefix = "bench-emulator: "

// newEmulator returns the benchmark's Okta emulator: every org shares one
// certificate and the rate limits are lifted (Okta's are per minute; the
// rate-limit scenario lowers one).
func newEmulator(latency time.Duration, onRequest func(oktatest.Request)) (*oktatest.Server, error) {
	emu := oktatest.New(oktatest.Options{ISVHost: isvHost, ISVToken: isvToken,
		Latency: latency, OnRequest: onRequest, SharedCertificate: true})
	for _, b := range []string{oktatest.BucketOrgs, oktatest.BucketApps, oktatest.BucketMe,
		oktatest.BucketOther} {
		if err := emu.SetRateLimit(b, 1<<30, time.Minute); err != nil {
			return nil, err
		}
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return emu, nil
}

// serveEmulator is the -emulator mode: it serves the emulator on loopback,
// prints its URL and stops when its stdin closes (the scenario's process
// ended).
func serveEmulator(latency time.Duration) int {
	emu, err := newEmulator(latency, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench emulator: %v\n", err)
		return 1
	}
	defer emu.Close()
	fmt.Printf("%s%s\n", emulatorPrefix, emu.URL())
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// external is an emulator in a process of its own.
type external struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

// startExternal starts this binary in -emulator mode and waits for its URL.
func startExternal(ctx context.Context, latency time.Duration) (*external, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-emulator", "-emulator-latency", latency.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	x := &external{cmd: cmd, stdin: stdin}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), emulatorPrefix); ok {
			x.url = url
			go io.Copy(io.Discard, stdout)
			return x, nil
		}
	}
	x.close()
	return nil, errors.New("the emulator process printed no URL")
}

func (x *external) close() {
	x.stdin.Close()
	x.cmd.Wait()
}
