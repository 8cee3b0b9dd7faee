package server

import (
	"math"
	"sync"
	"time"
)

// rateLimiter is a token bucket per key id: each authenticated append takes a token;
// tokens come back at rate per second up to burst. Its map holds only allowed keys,
// since only appends that verified are counted.
type rateLimiter struct {
	rate  float64 // tokens per second; 0: no limit
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}, now: time.Now}
}

// take spends one of keyID's tokens. When there is none it returns false and how long
// until there is one.
func (l *rateLimiter) take(keyID string) (bool, time.Duration) {
	if l.rate <= 0 || keyID == "" {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[keyID]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[keyID] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
