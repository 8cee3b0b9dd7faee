package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

func TestCitedAnchor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		anchor *custody.Anchor
		want   string
	}{
		{"no anchor", nil, "cites no checkpoint read before signing"},
		{"anchor", &custody.Anchor{Origin: "log.example/a", Size: 7}, "cites checkpoint log.example/a@7 as read before signing"},
		{"anchor with a token", &custody.Anchor{Origin: "log.example/a", Size: 7, Token: "sha256:00"},
			"cites checkpoint log.example/a@7 as read before signing, with its time-stamp token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, citedAnchor(tc.anchor))
		})
	}
}
