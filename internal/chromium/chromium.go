// Package chromium finds a headless Chromium on this machine and drives it with
// chromedp: `evidctl report --format pdf` prints the HTML report with it, and the
// browser tests of the HTML report load pages in it.
//
//	path, err := chromium.Find()              // ErrNotFound when none is on PATH
//	pdf, err := chromium.PrintPDF(ctx, path, html)
//
// # The browser it starts
//
// One browser per job, closed after it: headless, talking over a pipe (no debugging
// port), with a fresh profile directory that is removed afterwards, without
// background networking, component updates, sync, extensions or a first-run page,
// and without the environment of the process that starts it (no password variable
// reaches it). Run as root, Chromium refuses to start with its sandbox, so it gets
// --no-sandbox then, and only then. A machine whose network is closed refuses the
// connections a browser makes on its own; the flags above keep it from trying.
//
// # Nothing is fetched
//
// PrintPDF sets the document's content directly (no URL is loaded) and fails every
// request the document would make, so a document that asked for a font or an image
// prints without it rather than reaching out.
package chromium

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNotFound means no Chromium executable was found on PATH.
var ErrNotFound = errors.New("no headless Chromium on PATH (looked for chromium, chromium-browser, google-chrome and google-chrome-stable)")

// Names are the executables Find looks for on PATH, in order.
var Names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the path of the first of Names on PATH, or ErrNotFound.
func Find() (string, error) {
	for _, name := range Names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// AllocatorOptions are the chromedp allocator options of the browser this package
// starts (see the package doc), for the executable at path.
func AllocatorOptions(path string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(path),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.NoFirstRun,
		chromedp.NoInheritEnv,
		chromedp.Env(browserEnv()...),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// browserEnv is all of the environment the browser gets: where to find programs
// (Debian's chromium is a shell script) and the locale.
func browserEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		env = append(env, "TMPDIR="+tmp)
	}
	return env
}

// NewContext makes a context that starts a browser (the executable at path) at its
// first action, for the life of the context; cancel closes it and removes its
// profile. opts go to chromedp.NewContext (a logger, for example).
func NewContext(ctx context.Context, path string, opts ...chromedp.ContextOption) (context.Context, context.CancelFunc) {
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, AllocatorOptions(path)...)
	bctx, cancelBrowser := chromedp.NewContext(actx, opts...)
	return bctx, func() {
		cancelBrowser()
		cancelAlloc()
	}
}

// PrintPDF prints the HTML document html with the browser at path: the page size
// and margins of its CSS @page rule (A4 when it has none), backgrounds printed, no
// header or footer of the browser's own (the document's @page margin boxes print).
// Every request the document makes fails.
func PrintPDF(ctx context.Context, path string, html []byte) ([]byte, error) {
	// chromedp logs protocol events it does not expect (setting a document's content
	// sends one); they are not errors of the print.
	bctx, cancel := NewContext(ctx, path, chromedp.WithErrorf(func(string, ...any) {}))
	defer cancel()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	if err := blockRequests(bctx); err != nil {
		return nil, err
	}
	tree, err := chromedp.Call(bctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("reading the blank page: %w", err)
	}
	if _, err := chromedp.Call(bctx, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: string(html)}); err != nil {
		return nil, fmt.Errorf("loading the document: %w", err)
	}
	pdf, err := chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(),
		chromedp.PDFPrintBackground(), chromedp.PDFOutlineAndTagged(), chromedp.PDFStream(),
		func(p *page.PrintToPDFParams) { p.DisplayHeaderFooter = new(false) }))
	if err != nil {
		return nil, fmt.Errorf("printing to PDF: %w", err)
	}
	return pdf, nil
}

// blockRequests has the browser pause every request of the page and fails it.
func blockRequests(ctx context.Context) error {
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		return fmt.Errorf("blocking the network: %w", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	return nil
}
