package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// witnessPolicy writes a witness policy naming the witnesses NAME... and asking K of
// them: witnesspolicy FILE K NAME... Each NAME.vkey holds the output of 'evidctl witness
// init' (its last line is the verifier key) and NAME.addr the address 'evidctl witness
// serve --listen-file' wrote. The policy must parse.
func witnessPolicy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: witnesspolicy FILE K NAME...")
	}
	k, err := strconv.Atoi(args[1])
	ts.Check(err)
	var b strings.Builder
	for _, name := range args[2:] {
		lines := strings.Split(strings.TrimSpace(ts.ReadFile(name+".vkey")), "\n")
		addr := strings.TrimSpace(ts.ReadFile(name + ".addr"))
		fmt.Fprintf(&b, "witness %s %s http://%s\n", name, lines[len(lines)-1], addr)
	}
	fmt.Fprintf(&b, "group witnesses %d %s\nquorum witnesses\n", k, strings.Join(args[2:], " "))
	_, err = ledger.ParseWitnessPolicy([]byte(b.String()))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}

// cli runs evidctl in this process, in dir, and returns its exit code and output.
func cli(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustCLI is cli that fails the test unless evidctl exits 0.
func mustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, dir, args...)
	require.Equal(t, 0, code, "evidctl %s\n%s%s", strings.Join(args, " "), out, errOut)
	return out
}

// witnessedHome initialises HOME in dir with a witness policy asking k of the witnesses,
// has them accept its log, and makes the key of a lab examiner.
func witnessedHome(t *testing.T, dir, origin string, k int, ws ...*witnesstest.Witness) {
	t.Helper()
	t.Setenv("EVIDCTL_PASSWORD", "correct horse battery staple")
	t.Setenv("EVIDCTL_HOME", filepath.Join(dir, "home"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "witnesses.policy"), witnesstest.Policy(k, ws...), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "image.dd"), []byte("disk image bytes"), 0o644))
	mustCLI(t, dir, "init", "--origin", origin, "--witness-policy", "witnesses.policy")
	vkey, err := os.ReadFile(filepath.Join(dir, "home", "log.pub"))
	require.NoError(t, err)
	for _, w := range ws {
		w.AddLog(t, ledger.Log{Origin: origin, VerifierKey: strings.TrimSpace(string(vkey))})
	}
	mustCLI(t, dir, "keygen", "--out", "lab", "--age", "--name", "A. Examiner", "--org", "Lab", "--role", "examiner", "--jurisdiction", "FR")
	mustCLI(t, dir, "trust", "init", "--trust", "trust.json")
	mustCLI(t, dir, "trust", "add-log", "--trust", "trust.json") // with the home's witness policy
	mustCLI(t, dir, "trust", "add-signer", "--trust", "trust.json", "--key", "lab.pub")
}

// TestWitnessedForkCLI is issue 10's attack, as a user would try it: copy a home's log
// directory, and append a different event at the same index in each copy with the same
// log key. With witnesses the second copy's append fails, naming the fork; appended
// without them, its bundle fails verification under a policy that requires the quorum,
// though it verifies under one that does not.
func TestWitnessedForkCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the witnessed log's bounded wait (about 10 s)")
	}
	dir := t.TempDir()
	ws := []*witnesstest.Witness{witnesstest.Start(t, "w1"), witnesstest.Start(t, "w2")}
	witnessedHome(t, dir, "evidence.test/cli-fork", 2, ws...)
	mustCLI(t, dir, "acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "case")

	require.NoError(t, os.CopyFS(filepath.Join(dir, "copy"), os.DirFS(filepath.Join(dir, "home"))))
	require.NoError(t, os.Chmod(filepath.Join(dir, "copy", "log.key"), 0o600))
	copyFile(t, filepath.Join(dir, "case.custody.json"), filepath.Join(dir, "case2.custody.json"))
	mustCLI(t, dir, "access", "case.custody.json", "--key", "lab.key", "--purpose", "what the first court sees")

	before, err := os.ReadFile(filepath.Join(dir, "case2.custody.json"))
	require.NoError(t, err)
	code, _, stderr := cli(t, dir, "access", "case2.custody.json", "--key", "lab.key", "--purpose", "what the second court sees", "--home", "copy")
	require.Equal(t, exitUsage, code, stderr)
	for _, want := range []string{"the log has forked", `witness "w1" at ` + ws[0].URL, `witness "w2" at ` + ws[1].URL,
		"hint: a witness has cosigned another history of this log", "hint: no receipt was issued"} {
		require.Contains(t, stderr, want)
	}
	after, err := os.ReadFile(filepath.Join(dir, "case2.custody.json"))
	require.NoError(t, err)
	require.Equal(t, before, after, "a failed append leaves the bundle as it was")

	// The operator drops the witnesses from the copy: the append goes through, unwitnessed.
	require.NoError(t, os.Remove(filepath.Join(dir, "copy", "witness-policy")))
	mustCLI(t, dir, "access", "case2.custody.json", "--key", "lab.key", "--purpose", "what the second court sees", "--home", "copy")

	out := mustCLI(t, dir, "verify", "case.custody.json", "--trust", "trust.json")
	require.Contains(t, out, "cosigned by w1, w2")
	code, out, _ = cli(t, dir, "verify", "case2.custody.json", "--trust", "trust.json")
	require.Equal(t, exitInvalid, code, out)
	require.Contains(t, out, "witness quorum")

	// Without witnesses in the trust policy, each copy verifies on its own: the split view.
	mustCLI(t, dir, "trust", "init", "--trust", "nowitness.json")
	mustCLI(t, dir, "trust", "add-log", "--trust", "nowitness.json", "--key-file", filepath.Join("home", "log.pub"))
	mustCLI(t, dir, "trust", "add-signer", "--trust", "nowitness.json", "--key", "lab.pub")
	for _, b := range []string{"case.custody.json", "case2.custody.json"} {
		require.Contains(t, mustCLI(t, dir, "verify", b, "--trust", "nowitness.json"), "custody bundle: VALID", b)
	}
}

// TestWitnessQuorumCLI: with 2 of 3, receipts are issued while one witness is down; with
// two down, the append fails after the bounded wait, naming each witness, with a hint.
func TestWitnessQuorumCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the witnessed log's bounded wait (about 10 s)")
	}
	dir := t.TempDir()
	ws := []*witnesstest.Witness{witnesstest.Start(t, "w1"), witnesstest.Start(t, "w2"), witnesstest.Start(t, "w3")}
	witnessedHome(t, dir, "evidence.test/cli-quorum", 2, ws...)
	ws[2].Stop()
	mustCLI(t, dir, "acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "case")
	out := mustCLI(t, dir, "verify", "case.custody.json", "--trust", "trust.json")
	require.Contains(t, out, "custody bundle: VALID")
	require.Contains(t, out, "cosigned by w1, w2")

	ws[1].Stop()
	start := time.Now()
	code, _, stderr := cli(t, dir, "access", "case.custody.json", "--key", "lab.key", "--purpose", "triage")
	require.Equal(t, exitUsage, code, stderr)
	// The append waits 2 x 5 s + 100 ms for the quorum; Close then does not wait for the
	// witnesses again (it used to, as long), so evidctl exits a few seconds later at most.
	require.Less(t, time.Since(start), 2*posixlog.DefaultWitnessTimeout+6*time.Second, "a bounded wait, and a prompt exit")
	for _, want := range []string{`witness quorum (group "witnesses": 2 of w1, w2, w3) not met`,
		`witness "w2" at ` + ws[1].URL + ": unreachable", `witness "w3" at ` + ws[2].URL + ": unreachable",
		"hint: start the witnesses that do not answer"} {
		require.Contains(t, stderr, want)
	}
	require.Contains(t, mustCLI(t, dir, "show", "case.custody.json"), "acquire")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
}
