//go:build race

package testenv

// raceEnabled: the tests run with the race detector, and so does the demo
// actor they build (a race in it makes it exit 66, which tests see).
const raceEnabled = true
