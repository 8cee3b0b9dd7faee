package custody

import (
	"io"
	"math"
	"strings"
	"testing"
)

// TestCapReader: the cap is one byte past the limit, and a size from a hostile bundle
// (negative, or the largest int64) neither overflows it nor lifts it.
func TestCapReader(t *testing.T) {
	tests := []struct {
		name   string
		limit  int64
		input  string
		read   int
		longer bool
	}{
		{"shorter", 5, "abc", 3, false},
		{"exactly the limit", 3, "abc", 3, false},
		{"one byte more", 2, "abc", 3, true},
		{"far more", 1, "abcdef", 2, true},
		{"negative size", -7, "abc", 1, true},
		{"largest size", math.MaxInt64, "abc", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := capReader(strings.NewReader(tt.input), tt.limit)
			got, err := io.ReadAll(c)
			if err != nil || len(got) != tt.read || (c.N == 0) != tt.longer {
				t.Fatalf("read %q (err %v), N %d; want %d bytes, longer %v", got, err, c.N, tt.read, tt.longer)
			}
		})
	}
}
