package oktatest

// OrgToken returns the first API token of the org at host (for a created
// org, the token its creation returned), or "" when there is no such org.
// Tests use it to search their artifacts for the token.
func (s *Server) OrgToken(host string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[normHost(host)]
	if o == nil || len(o.tokens) == 0 {
		return ""
	}
	return o.tokens[0]
}
