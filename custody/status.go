package custody

import "github.com/evidctl/evidctl/crypto/digest"

// ItemStatus is where one item stands at the end of a bundle's chain, as the bundle
// presents it: nothing is verified (see [Verify] for that). It tells a tool which
// items a party holds or is about to receive.
type ItemStatus struct {
	ID          string
	Description string
	Digest      digest.Set // plaintext digests
	Sealed      *Sealed    // the current sealed payload, if any
	Custodian   Actor      // who holds the item (or held it before the open transfer)
	InTransitTo *Actor     // the named recipient of the open transfer, if any
	Closed      EventType  // Return or Dispose once custody ended, else ""
	Events      int
}

// Status replays the bundle's chain without checking signatures or receipts and
// returns each item's status, in the order the items entered custody.
func (b *Bundle) Status() ([]ItemStatus, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, err
	}
	out := make([]ItemStatus, 0, len(cs.order))
	for _, id := range cs.order {
		out = append(out, cs.items[id].status())
	}
	return out, nil
}

func (st *itemState) status() ItemStatus {
	s := ItemStatus{ID: st.id, Description: st.item.Description, Digest: st.digest, Sealed: st.sealed,
		Custodian: st.custodian, Closed: st.closedBy, Events: st.events}
	if st.pending != nil {
		to := st.pending.to
		s.InTransitTo = &to
	}
	return s
}
