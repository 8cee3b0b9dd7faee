package custody_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenReport is a fixed report: one valid event, one failed, and a bundle check, with
// text that would break a Markdown table or add markup if it were not escaped.
func goldenReport() *custody.Report {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &custody.Report{
		Events: []custody.EventReport{
			{Index: 1, Type: custody.Acquire, Item: "case-17/disk|1", Time: at, Actor: "A. Examiner", Organization: "Lab", Jurisdiction: "FR",
				Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}, Commitment: "sha256:" + hex64('a'), Log: "lab.example/log", LogIndex: 0,
				Checks: []custody.Check{{Rule: custody.RuleSignature, OK: true}, {Rule: custody.RuleInclusion, OK: true}}},
			{Index: 2, Type: custody.Access, Item: "case-17/disk|1", Time: at.Add(time.Hour), Actor: "M. *Allory*", Organization: "Nowhere",
				Purpose: "look `inside`", Commitment: "sha256:" + hex64('b'), Log: "lab.example/log", LogIndex: 1,
				Checks: []custody.Check{{Rule: custody.RuleSignature, Expected: "a valid signature by key 0123456789abcdef", Found: "signature by an untrusted key",
					Detail: "the signing key is not trusted for M. Allory"}, {Rule: custody.RuleInclusion, OK: true}}},
		},
		Checks: []custody.Check{{Rule: custody.RuleConsistency, OK: true, Detail: "log lab.example/log: 2 checkpoints consistent"},
			{Rule: custody.RulePayload, Status: custody.StatusNotChecked, Subject: "case-17/disk|1", Detail: "no payload given"}},
		Warnings: []custody.Warning{{Event: 2, Kind: custody.WarnMixedScript, Subject: "actor M. *Allory*",
			Detail: "the actor's \"\x1b[2JM. \u202eyrollA\" mixes scripts in \"Оfficer\" | # <b>"}},
		Items: []custody.ItemReport{{ID: "case-17/disk|1", Description: "laptop <disk>", Digest: sha256Set(hex64('c')),
			Custodian: "A. Examiner (Lab, FR) key 0123456789abcdef", State: "held", Events: 2}},
	}
	r.Failures = []custody.Failure{{Event: 2, Check: r.Events[1].Checks[0]}}
	r.NotChecked = []custody.Failure{{Event: 0, Check: r.Checks[1]}}
	return r
}

func hex64(c byte) string { return string(bytes.Repeat([]byte{c}, 64)) }

func TestReportMarkdownGolden(t *testing.T) {
	var got bytes.Buffer
	require.NoError(t, goldenReport().WriteMarkdown(&got, "Chain of custody: case 2026-17",
		"bundle: case.custody.json", "trust policy: court.json", "verified: 2026-03-02T10:00:00Z with evidctl devel"))
	path := filepath.Join("testdata", "report.golden.md")
	if *update {
		require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test -run TestReportMarkdownGolden -update ./custody/' to create it")
	require.Equal(t, string(want), got.String())
}
