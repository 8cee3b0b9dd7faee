package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"evidctl": func() {
			setTestUmask()
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs every testdata/*.txtar script with evidctl on $PATH, a home of its
// own ($EVIDCTL_HOME=$WORK/home) and a password in $EVIDCTL_PASSWORD.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               withTSA(t, setupScript),
		Cmds:                scriptCommands,
	})
}

// setupScript gives each script a home of its own, a password and two free ports.
func setupScript(env *testscript.Env) error {
	env.Setenv("EVIDCTL_HOME", filepath.Join(env.WorkDir, "home"))
	env.Setenv("EVIDCTL_PASSWORD", "correct horse battery staple")
	for _, name := range []string{"PORT", "PORT2"} {
		port, err := freePort()
		if err != nil {
			return err
		}
		env.Setenv(name, port)
	}
	return nil
}

// scriptCommands are the test-only commands scripts may use beside evidctl.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"certify":       certify,
	"exitcode":      exitCode,
	"flipbyte":      flipByte,
	"islink":        isLink,
	"jsonschema":    jsonSchema,
	"noleak":        noLeak,
	"perm":          checkPerm,
	"tamperbundle":  tamperBundle,
	"waitfile":      waitFile,
	"witnesspolicy": witnessPolicy,
}

// freePort finds a loopback port free now, for a server a script starts.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// waitFile waits up to 20 s for FILE to exist and be non-empty: waitfile FILE.
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	path := ts.MkAbs(args[0])
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
	}
	ts.Fatalf("%s did not appear within 20 s", args[0])
}

// flipByte inverts the byte at OFFSET of FILE (a negative offset counts from the end):
// flipbyte FILE OFFSET.
func flipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(data)
	}
	if off < 0 || off >= len(data) {
		ts.Fatalf("offset %s outside %s (%d bytes)", args[1], args[0], len(data))
	}
	data[off] ^= 0xff
	ts.Check(os.WriteFile(path, data, 0o644))
	fmt.Fprintf(ts.Stdout(), "flipped byte %d of %s\n", off, args[0])
}

// tamperBundle rewrites the description of the first event's item in a bundle, as
// someone editing the statement (not its signature) would: tamperbundle FILE TEXT.
func tamperBundle(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tamperbundle FILE TEXT")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var b map[string]any
	ts.Check(json.Unmarshal(data, &b))
	env := b["events"].([]any)[0].(map[string]any)["envelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	ts.Check(err)
	var st map[string]any
	ts.Check(json.Unmarshal(payload, &st))
	item := st["predicate"].(map[string]any)["item"].(map[string]any)
	old, _ := item["description"].(string)
	item["description"] = args[1]
	payload, err = json.Marshal(st)
	ts.Check(err)
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	data, err = json.MarshalIndent(b, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, data, 0o644))
	fmt.Fprintf(ts.Stdout(), "description %s -> %s\n", strings.TrimSpace(old), args[1])
}

// exitCode runs a program as exec does and checks its exit status:
// exitcode CODE PROGRAM ARGS... Its stdout and stderr are the command's, for the
// stdout and stderr assertions that follow.
func exitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode CODE PROGRAM ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	path, err := exec.LookPath(args[1])
	ts.Check(err)
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "EVIDCTL_HOME", "EVIDCTL_PASSWORD"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("running %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// checkPerm checks the permission bits of FILE: perm FILE MODE (octal).
func checkPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm FILE MODE")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %04o, want %04o", args[0], got, want)
	}
}

// isLink checks that FILE is a symbolic link: islink FILE.
func isLink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: islink FILE")
	}
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if link := fi.Mode().Type() == os.ModeSymlink; link == neg {
		ts.Fatalf("%s: symbolic link %v, want %v", args[0], link, !neg)
	}
}

// noLeak checks that the last command's stdout and stderr quote no secret of the key
// files named: noleak FILE... A secret is a line of a file that is neither a comment
// nor a PEM armour line (PEM bodies, age identities), and the key of a note signing
// key; no 16-character window of one may appear.
func noLeak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: noleak FILE...")
	}
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	for _, file := range args {
		for _, line := range strings.Split(ts.ReadFile(file), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-----") {
				continue
			}
			if rest, ok := strings.CutPrefix(line, "PRIVATE+KEY+"); ok {
				line = rest[strings.LastIndex(rest, "+")+1:]
			}
			for i := 0; i+16 <= len(line); i++ {
				if strings.Contains(out, line[i:i+16]) {
					ts.Fatalf("the output quotes key material of %s: %q", file, line[i:i+16])
				}
			}
		}
	}
}

// jsonSchema validates FILE (or "stdout", the last command's) against the JSON Schema
// docs/schema/SCHEMA: jsonschema FILE SCHEMA.
func jsonSchema(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonschema FILE SCHEMA")
	}
	path, err := filepath.Abs(filepath.Join("..", "..", "docs", "schema", args[1]))
	ts.Check(err)
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(path)
	ts.Check(err)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(ts.ReadFile(args[0])))
	ts.Check(err)
	if err := schema.Validate(doc); err != nil {
		ts.Fatalf("%s does not validate against %s: %v", args[0], args[1], err)
	}
}
