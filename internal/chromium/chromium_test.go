package chromium_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/chromium"
)

var mediaBox = regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`)

func atof(t *testing.T, b []byte) float64 {
	f, err := strconv.ParseFloat(string(b), 64)
	require.NoError(t, err)
	return f
}

func TestFindWithoutBrowser(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := chromium.Find()
	require.True(t, errors.Is(err, chromium.ErrNotFound), "%v", err)
}

// TestPrintPDFFetchesNothing prints a document that asks for an image, a style sheet
// and a font from a loopback server: the PDF is made, and the server hears nothing.
func TestPrintPDFFetchesNothing(t *testing.T) {
	path, err := chromium.Find()
	if err != nil {
		if os.Getenv("EVIDCTL_REQUIRE_BROWSER") == "1" {
			t.Fatalf("EVIDCTL_REQUIRE_BROWSER=1 but %v", err)
		}
		t.Skipf("skipping: %v (apt-get install chromium to run it)", err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	doc := fmt.Sprintf(`<!DOCTYPE html><html><head><link rel="stylesheet" href="%[1]s/a.css">
<style>@font-face { font-family: x; src: url(%[1]s/f.woff2); } body { font-family: x; }</style></head>
<body><h1>Report</h1><img src="%[1]s/i.png"><p style="break-before: page">second page</p></body></html>`, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pdf, err := chromium.PrintPDF(ctx, path, []byte(doc))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), "not a PDF: %q", pdf[:min(len(pdf), 16)])
	require.Contains(t, string(pdf), "/Type /Pages\n/Count 2\n", "two pages")
	boxes := mediaBox.FindAllSubmatch(pdf, -1)
	require.Len(t, boxes, 2)
	for _, m := range boxes {
		w, h := atof(t, m[1]), atof(t, m[2])
		require.InDelta(t, 595.3, w, 1.5, "A4 width in points")
		require.InDelta(t, 841.9, h, 1.5, "A4 height in points")
	}
	require.Zero(t, hits.Load(), "the browser fetched from the server")
}
