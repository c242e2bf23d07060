package errors

import "testing"

// TestTableReads checks the HTTP statuses the table reads back: each is
// claimed by one kind only, and by a kind that answers with the status
// itself or that no other kind answers with.
func TestTableReads(t *testing.T) {
	answered := map[int]bool{}
	for _, r := range table {
		answered[r.http] = true
	}
	claimed := map[int]Kind{}
	for k, r := range table {
		for _, s := range r.reads {
			if prev, dup := claimed[s]; dup {
				t.Errorf("status %d is read as both %v and %v", s, prev, Kind(k))
			}
			claimed[s] = Kind(k)
			if answered[s] && s != r.http {
				t.Errorf("status %d is read as %v, which answers %d", s, Kind(k), r.http)
			}
		}
	}
	for s := range answered {
		if _, ok := claimed[s]; !ok {
			t.Errorf("status %d is answered but read as no kind", s)
		}
	}
}
