package publisher

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/events"
)

// ReplayHeader carries a replayed signup's replay generation. It matches
// consumer.ReplayHeader.
const ReplayHeader = "Provisioner-Replay"

// PublishSignup publishes a signup event on subject with its id as the
// Nats-Msg-Id, and waits for JetStream to store it. ev's secrets must be
// sealed already (json.Marshal refuses plain-text secrets).
func PublishSignup(ctx context.Context, js jetstream.JetStream, subject string, ev *events.Event) (*jetstream.PubAck, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("publish signup %s: %w", ev.ID, err)
	}
	return publish(ctx, js, subject, ev.ID, raw, 0)
}

// PublishRaw publishes an encoded signup event (secrets already sealed)
// with msgID as its Nats-Msg-Id and waits for JetStream to store it.
func PublishRaw(ctx context.Context, js jetstream.JetStream, subject, msgID string, raw []byte) (*jetstream.PubAck, error) {
	return publish(ctx, js, subject, msgID, raw, 0)
}

// publish publishes an encoded event with msgID; replay > 0 marks a
// replay of that generation.
func publish(ctx context.Context, js jetstream.JetStream, subject, msgID string, raw []byte,
	replay int) (*jetstream.PubAck, error) {
	msg := nats.NewMsg(subject)
	msg.Data = raw
	msg.Header.Set(jetstream.MsgIDHeader, msgID)
	if replay > 0 {
		msg.Header.Set(ReplayHeader, strconv.Itoa(replay))
	}
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", msgID, err)
	}
	return ack, nil
}
