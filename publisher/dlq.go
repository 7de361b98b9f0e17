package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
)

// DeadEntry is one dead letter in the dead-letter stream.
type DeadEntry struct {
	// Seq is the dead letter's sequence in the dead-letter stream.
	Seq    uint64            `json:"seq"`
	Event  events.Event      `json:"event"`
	Letter events.DeadLetter `json:"letter"`
}

// ErrNotReplayable is returned for a dead letter with no original to
// replay (a message that could not be decoded).
var ErrNotReplayable = errors.New("dead letter has no original to replay")

// ListDead returns every dead letter in stream, oldest first.
func ListDead(ctx context.Context, js jetstream.JetStream, stream string) ([]DeadEntry, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	var out []DeadEntry
	if info.State.Msgs == 0 {
		return out, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read dead letter %d: %w", seq, err)
		}
		e := DeadEntry{Seq: seq}
		if err := json.Unmarshal(raw.Data, &e.Event); err != nil {
			return nil, fmt.Errorf("decode dead letter %d: %w", seq, err)
		}
		if err := json.Unmarshal(e.Event.Data, &e.Letter); err != nil {
			return nil, fmt.Errorf("decode dead letter %d: %w", seq, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ReplayDead republishes a dead letter's original signup on subject under
// a new message id derived from the dead letter, so JetStream's dedup
// window does not swallow it and replaying twice sends it once. The dead
// letter is then removed. It returns the message id used.
func ReplayDead(ctx context.Context, js jetstream.JetStream, stream, subject string, e DeadEntry) (string, error) {
	if len(e.Letter.Original) == 0 {
		return "", fmt.Errorf("replay dead letter %d: %w", e.Seq, ErrNotReplayable)
	}
	msgID := fmt.Sprintf("%s:replay:%d", e.Letter.SignupID, e.Seq)
	if _, err := publish(ctx, js, subject, msgID, e.Letter.Original, int(e.Seq)); err != nil {
		return "", fmt.Errorf("replay dead letter %d: %w", e.Seq, err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return msgID, fmt.Errorf("replay dead letter %d: remove it: %w", e.Seq, err)
	}
	if err := s.DeleteMsg(ctx, e.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return msgID, fmt.Errorf("replay dead letter %d: remove it: %w", e.Seq, err)
	}
	return msgID, nil
}

// PurgeDead removes every dead letter and returns how many there were.
func PurgeDead(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("purge dead letters: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge dead letters: %w", err)
	}
	if err := s.Purge(ctx); err != nil {
		return 0, fmt.Errorf("purge dead letters: %w", err)
	}
	return info.State.Msgs, nil
}
