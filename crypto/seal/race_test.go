//go:build race

package seal

// raceEnabled: the race detector is on (sync.Pool then drops items on purpose).
const raceEnabled = true
