package app

import (
	"os"
	"runtime"
)

// SpareProc gives the Go scheduler one processor (P) more than the CPUs
// the process may use, unless the GOMAXPROCS variable is set. It returns
// the new setting.
//
// Why: the store's one writer spends much of its time in COMMIT's fsync,
// inside a cgo call. A goroutine in a cgo call keeps its P until the
// runtime's monitor hands the P on, which under this load takes up to
// milliseconds, and with as many Ps as CPUs a CPU then idles while the
// disk works. On the benchmark's two cores the spare P raised the CPU the
// worker could use from 1.57 to 1.78 cores and its throughput by about
// 12%. Set GOMAXPROCS to override.
func SpareProc() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := runtime.GOMAXPROCS(0) + 1
	runtime.GOMAXPROCS(n)
	return n
}
