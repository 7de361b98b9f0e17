// Package wait holds the one way the provisioner's loops pause.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, and reports whether the whole wait
// passed. A zero or negative d returns at once.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
