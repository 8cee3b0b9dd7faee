package caseuco_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody/caseuco"
)

// validator is tools/caseuco/validate.mjs, relative to this package.
var validator = filepath.Join("..", "..", "tools", "caseuco", "validate.mjs")

// needValidator skips the test when node or the validator's npm packages are missing,
// with what to run; with EVIDCTL_REQUIRE_NODE=1 (as CI sets it) it fails instead.
func needValidator(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH (apt-get install nodejs npm)"
	} else if _, err := os.Stat(filepath.Join(filepath.Dir(validator), "node_modules", "rdf-validate-shacl")); err != nil {
		missing = "the validator's npm packages are not installed (npm ci --prefix tools/caseuco)"
	}
	if missing == "" {
		return
	}
	if os.Getenv("EVIDCTL_REQUIRE_NODE") == "1" {
		t.Fatalf("EVIDCTL_REQUIRE_NODE=1 but %s", missing)
	}
	t.Skipf("skipping CASE/UCO SHACL validation: %s", missing)
}

// validate runs the validator on files and returns its output and exit code.
func validate(t *testing.T, files ...string) (string, int) {
	t.Helper()
	out, err := exec.Command("node", append([]string{validator}, files...)...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("running the validator: %v\n%s", err, out)
	return "", 0
}

// TestValidatesAgainstCASE exports the demo case, the examples' cases and a case with
// trusted time, and validates every graph against the CASE 1.4.0 / UCO 1.4.0 ontologies and shapes: no
// result of any severity.
func TestValidatesAgainstCASE(t *testing.T) {
	needValidator(t)
	dir := t.TempDir()
	var files []string
	for name, build := range map[string]func(testing.TB) verified{
		"demo": demoCase, "lab-acquisition": labAcquisition, "cross-border-handoff": crossBorder,
		"provider-disclosure": providerDisclosure, "invalid": tampered, "witnessed": witnessedCase,
		"hostile": func(t testing.TB) verified { return hostileCase(t, "\"}]<script>\n\u2028 évidence") },
	} {
		x := export(t, build(t), caseuco.WithTool("evidctl", "test"))
		path := filepath.Join(dir, name+".jsonld")
		require.NoError(t, os.WriteFile(path, x.raw, 0o644))
		files = append(files, path)
	}
	out, code := validate(t, files...)
	require.Equal(t, 0, code, "validator output:\n%s", out)
	require.Equal(t, len(files), strings.Count(out, ": conforms ("), out)
}

// TestValidatorCatchesViolations is the negative control: an export broken in eight
// ways, each on a node of its own, must be reported for each, so that the check above
// can fail. (One file rather than eight keeps the validator's run short.)
func TestValidatorCatchesViolations(t *testing.T) {
	needValidator(t)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(export(t, demoCase(t)).raw, &doc))
	var g []map[string]any
	for _, n := range doc["@graph"].([]any) {
		g = append(g, n.(map[string]any))
	}
	breakages := []struct {
		name    string
		breakIt func()
		want    string // in the validator's results for the file
	}{
		{"hash without value", func() { delete(nth(g, "uco-types:Hash", 0), "uco-types:hashValue") },
			"uco-types:hashValue: Less than 1 values"},
		{"size as text", func() { nth(g, "uco-observable:ContentDataFacet", 0)["uco-observable:sizeInBytes"] = "large" },
			"uco-observable:sizeInBytes: Value does not have datatype"},
		{"location not a Location", func() {
			nth(g, "case-investigation:InvestigativeAction", 0)["uco-action:location"] = map[string]any{"@id": nth(g, "uco-types:Hash", 1)["@id"]}
		}, "uco-action:location: fails sh:ClassConstraintComponent"},
		{"relationship without target", func() { delete(nth(g, "uco-core:Relationship", 0), "uco-core:target") },
			"uco-core:target: Less than 1 values"},
		{"blank UCO object", func() { delete(nth(g, "uco-identity:Organization", 0), "@id") },
			"UcoThings are required to not be blank nodes"},
		{"misspelt property", func() { nth(g, "uco-identity:Person", 0)["uco-core:nmae"] = "typo" },
			"uco-core:nmae is not a concept"},
		{"wrong type", func() { nth(g, "uco-tool:Tool", 0)["@type"] = "uco-tool:Tol" },
			"uco-tool:Tol is not a concept"},
		{"identifier without UUID", func() { nth(g, "case-investigation:Investigation", 0)["@id"] = "kb:case-2026-17" },
			"kb:case-2026-17: UcoThings are suggested to end with a UUID"},
	}
	for _, b := range breakages {
		b.breakIt()
	}
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "broken.jsonld")
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	out, code := validate(t, path)
	require.Equal(t, 1, code, "validator output:\n%s", out)
	require.Contains(t, out, path+": does not conform")
	for _, b := range breakages {
		require.Contains(t, out, b.want, "%s is not reported; validator output:\n%s", b.name, out)
	}
}

// TestValidatorWithoutOntology: a wrong ontology setting is an error (exit 2) saying
// where the validator looked, never a silent fallback or a pass.
func TestValidatorWithoutOntology(t *testing.T) {
	needValidator(t)
	path := filepath.Join(t.TempDir(), "case.jsonld")
	require.NoError(t, os.WriteFile(path, export(t, tampered(t)).raw, 0o644))
	empty := t.TempDir()
	cmd := exec.Command("node", validator, path)
	cmd.Env = append(os.Environ(), "EVIDCTL_CASE_ONTOLOGY="+empty)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), "the CASE 1.4.0 / UCO 1.4.0 ontology was not found")
	require.Contains(t, string(out), "$EVIDCTL_CASE_ONTOLOGY: "+empty)
}

// nth is the i-th node of a type in a graph.
func nth(g []map[string]any, typ string, i int) map[string]any {
	for _, n := range g {
		if n["@type"] == typ {
			if i == 0 {
				return n
			}
			i--
		}
	}
	panic("too few nodes of type " + typ)
}

// TestOntologyCopyMatchesShared checks that tools/caseuco's copy of the ontology is
// the project's shared one, byte for byte, when the shared folder is beside the
// checkout.
func TestOntologyCopyMatchesShared(t *testing.T) {
	copyDir := filepath.Join("..", "..", "tools", "caseuco", "ontology", "case-uco-1.4.0")
	shared := filepath.Join("..", "..", "..", "shared", "ontology", "case-uco-1.4.0")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("skipping: no shared ontology at %s", shared)
	}
	count := 0
	err := filepath.WalkDir(shared, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(shared, path)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(copyDir, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from the shared ontology", rel)
		}
		count++
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, count)
}
