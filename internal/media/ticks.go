package media

import "time"

// Ticks is a time or a duration on the channel timeline, in VideoTimescale
// (90 kHz) units. It is an int64 underneath, so its JSON encoding is the
// bare number.
//
// Conversions to and from time.Duration use integer math only: a plain
// time.Duration(t) * time.Second / VideoTimescale overflows int64 beyond
// about 28 hours of ticks, and float64 loses nanoseconds.
type Ticks int64

// Duration converts t to a time.Duration, truncated toward zero to the
// nanosecond. Valid while the result fits a time.Duration (about 292 years).
func (t Ticks) Duration() time.Duration {
	q, r := t/VideoTimescale, t%VideoTimescale
	return time.Duration(q)*time.Second + time.Duration(r)*time.Second/VideoTimescale
}

// TicksOf converts d to Ticks, rounded to the nearest tick (halves away
// from zero), so that TicksOf(t.Duration()) is t.
func TicksOf(d time.Duration) Ticks {
	q, r := d/time.Second, d%time.Second
	n := r * VideoTimescale // below 9e13 in magnitude
	if n < 0 {
		n -= time.Second / 2
	} else {
		n += time.Second / 2
	}
	return Ticks(q)*VideoTimescale + Ticks(n/time.Second)
}

// Seconds returns t in seconds.
func (t Ticks) Seconds() float64 { return float64(t) / VideoTimescale }

// Rescale converts t to timescale to, rounding to the nearest unit (as
// Rescale does).
func (t Ticks) Rescale(to uint32) int64 { return Rescale(int64(t), VideoTimescale, to) }

// TicksFrom converts a time in timescale from to Ticks, rounding to the
// nearest tick (as Rescale does).
func TicksFrom(t int64, from uint32) Ticks { return Ticks(Rescale(t, from, VideoTimescale)) }
