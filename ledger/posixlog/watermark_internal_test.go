package posixlog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseWatermark(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want watermark
		ok   bool
	}{
		{"boot", "evidctl tag index v1\nboot " + bootA + "\nsize 12\n", watermark{bootA, 12}, true},
		{"no boot", "evidctl tag index v1\nboot -\nsize 0\n", watermark{"", 0}, true},
		{"largest size", "evidctl tag index v1\nboot -\nsize 18446744073709551615\n", watermark{"", 1<<64 - 1}, true},
		{"empty", "", watermark{}, false},
		{"no final newline", "evidctl tag index v1\nboot -\nsize 0", watermark{}, false},
		{"extra line", "evidctl tag index v1\nboot -\nsize 0\n\n", watermark{}, false},
		{"other version", "evidctl tag index v2\nboot -\nsize 0\n", watermark{}, false},
		{"uppercase boot", "evidctl tag index v1\nboot 11111111-1111-4111-8111-11111111111A\nsize 0\n", watermark{}, false},
		{"short boot", "evidctl tag index v1\nboot 1111\nsize 0\n", watermark{}, false},
		{"leading zero", "evidctl tag index v1\nboot -\nsize 012\n", watermark{}, false},
		{"sign", "evidctl tag index v1\nboot -\nsize +12\n", watermark{}, false},
		{"overflow", "evidctl tag index v1\nboot -\nsize 18446744073709551616\n", watermark{}, false},
		{"crlf", "evidctl tag index v1\r\nboot -\r\nsize 0\r\n", watermark{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWatermark([]byte(tc.text))
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.text, string(got.marshal()))
		})
	}
}

func FuzzParseWatermark(f *testing.F) {
	f.Add([]byte(watermark{bootA, 7}.marshal()))
	f.Add([]byte(watermark{"", 0}.marshal()))
	f.Add([]byte("evidctl tag index v1\nboot x\nsize 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := parseWatermark(b)
		if err != nil {
			return
		}
		require.Equal(t, string(b), string(w.marshal()), "one text for each watermark")
	})
}

func TestValidBootID(t *testing.T) {
	require.True(t, validBootID(bootA))
	require.True(t, validBootID("7f14bb1a-7454-4106-9f22-7bcd05f85081"))
	for _, s := range []string{"", "-", bootA + "0", bootA[:35], "7f14bb1a_7454-4106-9f22-7bcd05f85081", "7F14BB1A-7454-4106-9F22-7BCD05F85081"} {
		require.False(t, validBootID(s), "%q", s)
	}
}
