package caseuco_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/custody/caseuco"
)

// FuzzExport feeds hostile bundles (mutations of a real one) through verification and
// export: whatever the bundle holds, the export is one well-formed JSON-LD graph whose
// references all resolve, and nothing panics.
func FuzzExport(f *testing.F) {
	v := longCase(f, 12)
	seed, err := v.bundle.MarshalJSON()
	require.NoError(f, err)
	f.Add(seed)
	f.Add(bytes.Replace(seed, []byte(`"proof": "c2sp.org`), []byte(`"proof": "x`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := custody.ParseBundle(data)
		if err != nil {
			return
		}
		rep, err := custody.Verify(context.Background(), b, v.policy)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, caseuco.Export(&buf, b, rep))
		parse(t, buf.Bytes())
	})
}
