package media

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"
)

// exactDuration is t in nanoseconds, truncated toward zero, in big
// integers: the reference Duration is checked against.
func exactDuration(t Ticks) time.Duration {
	n := new(big.Int).Mul(big.NewInt(int64(t)), big.NewInt(int64(time.Second)))
	return time.Duration(n.Quo(n, big.NewInt(VideoTimescale)).Int64())
}

// exactTicks is d in ticks, rounded to the nearest (halves away from
// zero), in big integers.
func exactTicks(d time.Duration) Ticks {
	n := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(2*VideoTimescale))
	if d < 0 {
		n.Sub(n, big.NewInt(int64(time.Second)))
	} else {
		n.Add(n, big.NewInt(int64(time.Second)))
	}
	return Ticks(n.Quo(n, big.NewInt(2*int64(time.Second))).Int64())
}

const hour = 3600 * VideoTimescale

func TestTicksDuration(t *testing.T) {
	tests := []struct {
		name  string
		ticks Ticks
		want  time.Duration
	}{
		{"zero", 0, 0},
		{"one tick", 1, 11111 * time.Nanosecond},
		{"minus one tick", -1, -11111 * time.Nanosecond},
		{"one second", VideoTimescale, time.Second},
		{"a 29.97 fps frame", 3003, 33366666 * time.Nanosecond},
		{"a 6 s segment", 6 * VideoTimescale, 6 * time.Second},
		{"minus 2.5 s", -225000, -2500 * time.Millisecond},
		{"28 hours", 28 * hour, 28 * time.Hour},
		{"past 28 hours", 30*hour + 1, 30*time.Hour + 11111*time.Nanosecond},
		{"a year", 8760 * hour, 8760 * time.Hour},
		{"minus a year and a tick", -8760*hour - 1, -8760*time.Hour - 11111*time.Nanosecond},
		{"the 33-bit MPEG-TS wrap", 1 << 33, 95443717688888 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ticks.Duration(); got != tt.want {
				t.Errorf("Ticks(%d).Duration() = %v, want %v", tt.ticks, got, tt.want)
			}
			if got, want := tt.ticks.Duration(), exactDuration(tt.ticks); got != want {
				t.Errorf("Ticks(%d).Duration() = %v, exact %v", tt.ticks, got, want)
			}
		})
	}
}

func TestTicksOf(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want Ticks
	}{
		{"zero", 0, 0},
		{"under half a tick", 5555 * time.Nanosecond, 0},
		{"half a tick", 5556 * time.Nanosecond, 1},
		{"one tick, truncated", 11111 * time.Nanosecond, 1},
		{"minus under half a tick", -5555 * time.Nanosecond, 0},
		{"minus half a tick", -5556 * time.Nanosecond, -1},
		{"minus one tick, truncated", -11111 * time.Nanosecond, -1},
		{"4.5 ticks", 50 * time.Microsecond, 5},
		{"minus 4.5 ticks", -50 * time.Microsecond, -5},
		{"one second", time.Second, VideoTimescale},
		{"1.001 s", 1001 * time.Millisecond, 90090},
		{"minus 2.5 s", -2500 * time.Millisecond, -225000},
		{"30 hours", 30 * time.Hour, 30 * hour},
		{"a year", 8760 * time.Hour, 8760 * hour},
		{"the longest duration", math.MaxInt64, 830103483316930},
		{"the shortest duration", math.MinInt64, -830103483316930},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TicksOf(tt.d); got != tt.want {
				t.Errorf("TicksOf(%v) = %d, want %d", tt.d, got, tt.want)
			}
			if got, want := TicksOf(tt.d), exactTicks(tt.d); got != want {
				t.Errorf("TicksOf(%v) = %d, exact %d", tt.d, got, want)
			}
		})
	}
}

func TestTicksRoundTrip(t *testing.T) {
	// Ticks → Duration → Ticks is lossless: Duration truncates less than
	// a nanosecond, TicksOf rounds it back. The other way, every multiple
	// of 100 µs (9 ticks) survives.
	for _, v := range []Ticks{0, 1, -1, 2, 3003, -3003, 89999, VideoTimescale, 28*hour + 7, -(28*hour + 7), 8760 * hour, 1 << 33, 830103483316929, -830103483316929} {
		if got := TicksOf(v.Duration()); got != v {
			t.Errorf("TicksOf(Ticks(%d).Duration()) = %d", v, got)
		}
	}
	for _, d := range []time.Duration{0, 100 * time.Microsecond, -100 * time.Microsecond, time.Second, 40 * time.Millisecond, 29 * time.Hour, -8760 * time.Hour} {
		if got := TicksOf(d).Duration(); got != d {
			t.Errorf("TicksOf(%v).Duration() = %v", d, got)
		}
	}
}

func TestTicksSeconds(t *testing.T) {
	for _, tt := range []struct {
		ticks Ticks
		want  float64
	}{{0, 0}, {VideoTimescale, 1}, {-225000, -2.5}, {180180, 2.002}, {30 * hour, 108000}} {
		if got := tt.ticks.Seconds(); got != tt.want {
			t.Errorf("Ticks(%d).Seconds() = %v, want %v", tt.ticks, got, tt.want)
		}
	}
}

func TestTicksRescale(t *testing.T) {
	for _, tt := range []struct {
		ticks Ticks
		to    uint32
		want  int64
	}{
		{VideoTimescale, 48000, 48000},
		{VideoTimescale, VideoTimescale, VideoTimescale},
		{1920, 48000, 1024},
		{90, 1000, 1},
		{30 * hour, 48000, 30 * 3600 * 48000},
	} {
		if got := tt.ticks.Rescale(tt.to); got != tt.want {
			t.Errorf("Ticks(%d).Rescale(%d) = %d, want %d", tt.ticks, tt.to, got, tt.want)
		}
		if got := TicksFrom(tt.want, tt.to); got != tt.ticks {
			t.Errorf("TicksFrom(%d, %d) = %d, want %d", tt.want, tt.to, got, tt.ticks)
		}
	}
}

func TestTicksJSON(t *testing.T) {
	// Timeline records store Ticks as the bare number an int64 encodes to.
	b, err := json.Marshal(struct{ T Ticks }{-12345678901})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"T":-12345678901}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
