// Package faults holds the provisioner's fault suite, in its tests only:
// real worker processes (bin/provisioner, built once per run) against a
// real nats-server embedded in the test process, a real SQLite file and
// the Okta emulator over real HTTP. The suite kills workers with SIGKILL at
// every step boundary (through the test-only PROVISIONER_CRASH_AT hook),
// restarts the broker, deletes the consumer, injects each Okta fault,
// holds SQLite's write lock, revokes the ISV token, and checks after each
// that every signup ended with exactly one result, that no org or app was
// created twice, and that the journal agrees.
//
// Run it with `make faults`; its last line is the summary:
//
//	faults: crash_points=N signups=N orgs_created=N duplicate_orgs=0 lost=0 results=N
//
// signups counts the signup messages published, replays included; results
// counts the result events found for them on the results stream.
package faults
