// Command evidctl keeps electronic evidence admissible as it moves between
// organisations and across borders: it hashes and seals evidence, signs every custody
// event and appends it to a verifiable log, and verifies the resulting bundle offline.
//
// It is a thin layer over the custody library; run "evidctl help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// Exit codes.
const (
	exitOK      = 0 // success; a bundle that verified
	exitInvalid = 1 // verification failed
	exitUsage   = 2 // usage, I/O, password, identity or refused custody operation
)

// version is set with -ldflags "-X main.version=…" by release builds.
var version = "devel"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program: it parses args, runs the command and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	silenceKlog()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	return app.report(err)
}

// silenceKlog keeps Tessera's klog output away from users: they see only ours.
func silenceKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	_ = fs.Set("v", "0")
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
}

// app carries the standard streams to every command.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "evidctl",
		Short: "provable chain of custody for electronic evidence",
		Long: `evidctl hashes and seals evidence with age, signs every custody event, appends it
to a verifiable log, and verifies the bundle (NAME.custody.json + NAME.age) offline.

Passwords of signing keys come from $EVIDCTL_PASSWORD or a prompt on the terminal.
Exit codes: 0 ok or valid, 1 verification failed, 2 usage or I/O error.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(err.Error(), fmt.Sprintf("run 'evidctl %s --help' for usage", commandPath(c)))
	})
	root.AddCommand(
		a.initCommand(), a.keygenCommand(), a.trustCommand(),
		a.acquireCommand(), a.discloseCommand(), a.preserveCommand(),
		a.transferCommand(), a.receiveCommand(), a.resealCommand(),
		a.accessCommand(), a.deriveCommand(),
		a.closeCommand("return"), a.closeCommand("dispose"), a.noteCommand(),
		a.verifyCommand(), a.reportCommand(), a.exportCommand(), a.decryptCommand(), a.showCommand(),
		a.serveCommand(), a.demoCommand(), a.versionCommand(),
	)
	return root
}

func commandPath(c *cobra.Command) string {
	return strings.TrimPrefix(c.CommandPath(), "evidctl ")
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "evidctl %s\n", version)
			return nil
		},
	}
}

// exitError is an error with an exit code and hints for the user.
type exitError struct {
	code  int
	err   error
	hints []string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage error (exit 2) with hints.
func usageErr(msg string, hints ...string) error {
	return &exitError{code: exitUsage, err: errors.New(msg), hints: hints}
}

// failErr wraps err as a runtime error (exit 2) with hints.
func failErr(err error, hints ...string) error {
	return &exitError{code: exitUsage, err: err, hints: hints}
}

// invalidErr is a verification failure (exit 1).
func invalidErr(err error, hints ...string) error {
	return &exitError{code: exitInvalid, err: err, hints: hints}
}

// errSilentInvalid means the verdict was already printed: exit 1 with no message.
var errSilentInvalid = &exitError{code: exitInvalid, err: errors.New("verification failed")}

// report prints err as "evidctl: error: …" with its hints and returns the exit code.
func (a *app) report(err error) int {
	if err == errSilentInvalid {
		return exitInvalid
	}
	code, hints := exitUsage, explain(err)
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		hints = append(ee.hints, hints...)
	}
	fmt.Fprintf(a.stderr, "evidctl: error: %v\n", err)
	for _, line := range refusalLines(err) {
		fmt.Fprintf(a.stderr, "  %s\n", line)
	}
	for _, h := range dedupe(hints) {
		fmt.Fprintf(a.stderr, "hint: %s\n", h)
	}
	return code
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(fmt.Sprintf("%s takes no arguments, got %q", commandPath(cmd), args[0]),
			fmt.Sprintf("run 'evidctl %s --help' for usage", commandPath(cmd)))
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(fmt.Sprintf("%s needs %s (got %d arguments)", commandPath(cmd), what, len(args)),
				fmt.Sprintf("run 'evidctl %s --help' for usage", commandPath(cmd)))
		}
		return nil
	}
}

func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErr(fmt.Sprintf("%s needs %s", commandPath(cmd), what),
				fmt.Sprintf("run 'evidctl %s --help' for usage", commandPath(cmd)))
		}
		return nil
	}
}
