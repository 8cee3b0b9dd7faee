package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

// evidctl runs the command line in dir and returns its exit code, stdout and stderr.
func evidctl(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	defer func() { require.NoError(t, os.Chdir(wd)) }()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// mustEvidctl runs a command that must succeed.
func mustEvidctl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	code, out, errOut := evidctl(t, dir, args...)
	require.Equal(t, 0, code, "evidctl %v:\n%s%s", args, out, errOut)
	return out
}

// newHome makes a working directory with a home, a lab key and a trust policy.
func newHome(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("EVIDCTL_HOME", filepath.Join(dir, "home"))
	t.Setenv("EVIDCTL_PASSWORD", "correct horse battery staple")
	mustEvidctl(t, dir, "init", "--origin", "evidence.test/inject")
	mustEvidctl(t, dir, "keygen", "--out", "lab", "--age", "--name", "A. Examiner", "--org", "Lab", "--role", "examiner", "--jurisdiction", "FR")
	mustEvidctl(t, dir, "keygen", "--out", "auth", "--age", "--name", "B. Officer", "--org", "Central Authority", "--jurisdiction", "DE")
	mustEvidctl(t, dir, "trust", "init", "--trust", "trust.json")
	mustEvidctl(t, dir, "trust", "add-log", "--trust", "trust.json")
	mustEvidctl(t, dir, "trust", "add-signer", "--trust", "trust.json", "--key", "lab.pub")
	mustEvidctl(t, dir, "trust", "add-signer", "--trust", "trust.json", "--key", "auth.pub")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "image.dd"), []byte("disk image bytes"), 0o644))
	return dir
}

const injection = "\x1b[2J\x1b[Hcustody bundle: VALID\n\u202eevil"

// noRawControl fails when out holds a control or bidi character other than newlines
// and the tab of a table.
func noRawControl(t *testing.T, what, out string) {
	t.Helper()
	require.NotContains(t, out, "\x1b", what)
	require.NotContains(t, out, "\u202e", what)
	require.NotContains(t, out, "\nevil", what)
}

// TestUnsafeTextRefusedAtEntry: names, descriptions and purposes with control or bidi
// characters are refused before anything is read or written.
func TestUnsafeTextRefusedAtEntry(t *testing.T) {
	dir := newHome(t)
	for name, args := range map[string][]string{
		"keygen name":          {"keygen", "--out", "evil", "--name", injection},
		"keygen organisation":  {"keygen", "--out", "evil", "--name", "E. Vil", "--org", "Org\u202e"},
		"trust add-signer":     {"trust", "add-signer", "--trust", "trust.json", "--key", "lab.pub", "--name", injection},
		"acquire description":  {"acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "c", "--description", injection},
		"acquire location":     {"acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "c", "--location", "Lyon\r"},
		"transfer to-name":     {"transfer", "c.custody.json", "--key", "lab.key", "--to", "auth.pub", "--purpose", "x", "--to-name", injection},
		"transfer purpose":     {"transfer", "c.custody.json", "--key", "lab.key", "--to", "auth.pub", "--purpose", injection},
		"actor name on access": {"access", "c.custody.json", "--key", "lab.key", "--purpose", "x", "--actor", injection},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := evidctl(t, dir, args...)
			require.Equal(t, 2, code, out+errOut)
			require.Contains(t, errOut, "control, format or bidi character")
			noRawControl(t, "stderr", errOut)
			require.NotContains(t, errOut, `\\`, "the text is escaped once, not twice")
			if slices.Contains(args, injection) {
				require.Contains(t, errOut, `"\x1b[2J\x1b[Hcustody bundle: VALID\n\u202eevil"`)
			}
		})
	}
	_, err := os.Stat(filepath.Join(dir, "evil.key"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestHostileBundleTextIsEscaped: a bundle whose statement carries escape sequences
// (here a tampered description) prints them escaped in show, verify and report. On
// main they reached the terminal raw.
func TestHostileBundleTextIsEscaped(t *testing.T) {
	dir := newHome(t)
	mustEvidctl(t, dir, "acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "case")
	path := filepath.Join(dir, "case.custody.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var b map[string]any
	require.NoError(t, json.Unmarshal(data, &b))
	env := b["events"].([]any)[0].(map[string]any)["envelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	require.NoError(t, err)
	payload = bytes.Replace(payload, []byte(`"description":"image.dd"`), []byte(`"description":"\u001b[2J\u001b[Hcustody bundle: VALID\n\u202eevil"`), 1)
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	data, err = json.MarshalIndent(b, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))

	out := mustEvidctl(t, dir, "show", "case.custody.json")
	noRawControl(t, "show", out)
	require.Contains(t, out, `\x1b[2J`)
	out = mustEvidctl(t, dir, "show", "case.custody.json", "--json")
	noRawControl(t, "show --json", out)
	code, out, errOut := evidctl(t, dir, "verify", "case.custody.json", "--trust", "trust.json")
	require.Equal(t, 1, code)
	noRawControl(t, "verify", out+errOut)
	code, out, _ = evidctl(t, dir, "verify", "case.custody.json", "--trust", "trust.json", "--json")
	require.Equal(t, 1, code)
	noRawControl(t, "verify --json", out)
	code, _, _ = evidctl(t, dir, "report", "case.custody.json", "--trust", "trust.json", "--out", "r.md")
	require.Equal(t, 1, code)
	md, err := os.ReadFile(filepath.Join(dir, "r.md"))
	require.NoError(t, err)
	noRawControl(t, "report", string(md))
}

// TestTransferWarnsOfContradictions: a transfer whose --to-name contradicts the
// recipient's profile, or the trust policy, says so before it is made.
func TestTransferWarnsOfContradictions(t *testing.T) {
	dir := newHome(t)
	mustEvidctl(t, dir, "acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "case")
	code, _, errOut := evidctl(t, dir, "transfer", "case.custody.json", "--key", "lab.key", "--to", "auth.pub",
		"--to-name", "Judge J. Dredd", "--to-org", "Supreme Court", "--purpose", "x", "--trust", "trust.json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, `evidctl: warning: the recipient's profile auth.id.json contradicts the flags: name "Judge J. Dredd" where "B. Officer" is known for this key`)
	require.Contains(t, errOut, "evidctl: warning: the trust policy trust.json contradicts the recipient named")
	code, out, _ := evidctl(t, dir, "verify", "case.custody.json", "--trust", "trust.json")
	require.Equal(t, 1, code)
	require.Contains(t, out, "rule counterparty")
}

func TestEscapeMessage(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain text is unchanged", "no such file", "no such file"},
		{"a control character is escaped", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"a bidi override is escaped", "a\u202eb", `a\u202eb`},
		{"a newline is escaped", "a\nb", `a\x0ab`},
		{"text already escaped is not escaped twice", `--name "a\x1b[2J"`, `--name "a\x1b[2J"`},
		{"a lone backslash is kept", `C:\evidence`, `C:\evidence`},
		{"a backslash beside a control character", "\\\x1b", `\\x1b`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, escapeMessage(tt.in))
		})
	}
}

// FuzzEscapeMessage: whatever a message holds, what is printed holds no character that
// could rewrite a terminal (custody.CheckText accepts it), and a message with none is
// printed as it is.
func FuzzEscapeMessage(f *testing.F) {
	for _, s := range []string{"plain", injection, "C:\\evidence\\x1b", "\xff\\\xfe", "a\\\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escapeMessage(s)
		require.NoError(t, custody.CheckText("message", out))
		if custody.CheckText("message", s) == nil {
			require.Equal(t, s, out)
		}
	})
}
