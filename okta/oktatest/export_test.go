package oktatest

// SetReserveHook makes every org creation call hook after it reserved its
// subdomain and before it completes.
func (s *Server) SetReserveHook(hook func(subdomain string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserveHook = hook
}
