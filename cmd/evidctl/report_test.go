package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/testkit"
)

// TestReportPDF: --format pdf without a Chromium on PATH is refused before anything
// is read, with a hint; with a browser that fails, nothing is written.
func TestReportPDF(t *testing.T) {
	d := testkit.New(t, "lab")
	b, _ := d.Acquire(t, "lab", []byte("disk image"))
	dir := t.TempDir()
	bundle, trust := filepath.Join(dir, "case.custody.json"), filepath.Join(dir, "trust.json")
	require.NoError(t, b.WriteFile(bundle))
	require.NoError(t, d.Policy.WriteFile(trust))

	for _, tc := range []struct {
		name, chromium, stderr string
	}{
		{"no browser on PATH", "", "--format pdf prints the HTML report with a headless Chromium: no headless Chromium on PATH"},
		{"a browser that fails", "#!/bin/sh\necho 'cannot start' >&2\nexit 1\n", "printing the report with "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			if tc.chromium != "" {
				require.NoError(t, os.WriteFile(filepath.Join(bin, "chromium"), []byte(tc.chromium), 0o755))
			}
			t.Setenv("PATH", bin)
			out := filepath.Join(dir, tc.name+".pdf")
			var stdout, stderr bytes.Buffer
			code := run([]string{"report", bundle, "--trust", trust, "--out", out, "--format", "pdf"}, nil, &stdout, &stderr)
			require.Equal(t, exitUsage, code, "stderr: %s", stderr.String())
			require.Contains(t, stderr.String(), tc.stderr)
			if tc.chromium == "" {
				require.Contains(t, stderr.String(), "hint: install one (Debian: apt-get install chromium)")
			}
			require.NoFileExists(t, out)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 2, "nothing but the bundle and the policy: %v", entries)
		})
	}
}
