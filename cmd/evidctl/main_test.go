package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"evidctl": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
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
		Setup: func(env *testscript.Env) error {
			env.Setenv("EVIDCTL_HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("EVIDCTL_PASSWORD", "correct horse battery staple")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flipbyte": flipByte,
		},
	})
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
