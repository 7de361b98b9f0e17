package publisher

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ReplayHeader carries a replayed signup's replay generation. It matches
// consumer.ReplayHeader.
const ReplayHeader = "Provisioner-Replay"

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
