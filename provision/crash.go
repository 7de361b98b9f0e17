package provision

// Crash points: the step boundaries at which Config.CrashHook is called.
// They exist for the fault suite, which kills a worker process at each one
// and checks that a restart resumes exactly (see package faults).
const (
	// CrashReceived: a delivery arrived; nothing is journaled yet.
	CrashReceived = "received"
	// CrashBeforeCheckToken: GET /api/v1/users/me is not sent yet; a new
	// signup is not journaled yet either (it is recorded with the check's
	// commit), one seen before is leased.
	CrashBeforeCheckToken = "before_check_token"
	// CrashAfterCheckTokenCall: Okta accepted the token; "checked" is not
	// committed yet.
	CrashAfterCheckTokenCall = "after_check_token_call"
	// CrashAfterCheckTokenCommit: "checked" is committed.
	CrashAfterCheckTokenCommit = "after_check_token_commit"
	// CrashBeforeCreateOrg: org_pending is committed; POST /api/v1/orgs
	// is not sent yet.
	CrashBeforeCreateOrg = "before_create_org"
	// CrashAfterCreateOrgCall: Okta created the org and returned its
	// token; org_created is not committed, so the token is lost.
	CrashAfterCreateOrgCall = "after_create_org_call"
	// CrashAfterCreateOrgCommit: org_created (with the sealed token) is
	// committed.
	CrashAfterCreateOrgCommit = "after_create_org_commit"
	// CrashBeforeCreateApp: app_pending is committed; POST /api/v1/apps is
	// not sent yet.
	CrashBeforeCreateApp = "before_create_app"
	// CrashAfterCreateAppCall: Okta created the app; nothing about it is
	// committed (the app is committed with the result).
	CrashAfterCreateAppCall = "after_create_app_call"
	// CrashAfterMetadataCall: the metadata arrived; neither the app nor the
	// result is committed yet.
	CrashAfterMetadataCall = "after_fetch_metadata_call"
	// CrashAfterResultCommit: the final state and its result row are
	// committed; the signup message is not acked yet.
	CrashAfterResultCommit = "after_result_commit"
)

// crash calls the crash hook, if any, at point.
func (w *Worker) crash(point string) {
	if w.cfg.CrashHook != nil {
		w.cfg.CrashHook(point)
	}
}
