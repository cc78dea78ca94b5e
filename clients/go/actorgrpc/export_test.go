package actorgrpc

// PendingCalls is how many asks wait for replies on the client's mailbox
// streams (tests wait on it instead of sleeping).
func PendingCalls(c *Client) int {
	c.router.mu.RLock()
	defer c.router.mu.RUnlock()
	n := 0
	for _, m := range c.router.conns {
		m.mu.Lock()
		n += len(m.pending)
		m.mu.Unlock()
	}
	return n
}

// CachedRoute is the address and aid the client would send target to.
func CachedRoute(c *Client, target string) (aid, address string, ok bool) {
	rt, ok := c.router.cached(target)
	return rt.aid, rt.address, ok
}
