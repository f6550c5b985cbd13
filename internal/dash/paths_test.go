package dash

import (
	"errors"
	"fmt"
	"testing"

	"boxcar/internal/packager"
)

var pathCases = []struct {
	path string
	want objectRef
	err  string // "", "notfound" or "badrequest"
}{
	{path: "index.mpd", want: objectRef{kind: objectManifest}},
	{path: "index_1_init0.mp4", want: objectRef{kind: objectInit, track: 1}},
	{path: "index_12_init3.mp4", want: objectRef{kind: objectInit, track: 12, init: 3}},
	{path: "index_1_34.mp4", want: objectRef{kind: objectMedia, track: 1, value: 34}},
	{path: "index_3_159240000000000.mp4", want: objectRef{kind: objectMedia, track: 3, value: 159240000000000}},
	{path: "index_2_0.mp4", want: objectRef{kind: objectMedia, track: 2, value: 0}},
	{path: "other.mpd", err: "notfound"},
	{path: "index.m3u8", err: "notfound"},
	{path: "index_1_34.m4s", err: "notfound"},
	{path: "other_1_34.mp4", err: "notfound"},
	{path: "", err: "notfound"},
	{path: "index_1.mp4", err: "badrequest"},
	{path: "index_x_34.mp4", err: "badrequest"},
	{path: "index_0_34.mp4", err: "badrequest"},
	{path: "index_01_34.mp4", err: "badrequest"},
	{path: "index_1_034.mp4", err: "badrequest"},
	{path: "index_1_-3.mp4", err: "badrequest"},
	{path: "index_1_+3.mp4", err: "badrequest"},
	{path: "index_1_3x.mp4", err: "badrequest"},
	{path: "index_1_99999999999999999999.mp4", err: "badrequest"},
	{path: "index_1_init.mp4", err: "badrequest"},
	{path: "index_1_initx.mp4", err: "badrequest"},
	{path: "index_99999999999_3.mp4", err: "badrequest"},
	{path: "index_1_2_3.mp4", err: "badrequest"},
}

func TestParsePath(t *testing.T) {
	for _, tc := range pathCases {
		t.Run(tc.path, func(t *testing.T) {
			got, err := parsePath(tc.path, "index")
			switch tc.err {
			case "":
				if err != nil || got != tc.want {
					t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
				}
			case "notfound":
				if !errors.Is(err, packager.ErrNotFound) {
					t.Errorf("got %+v, %v; want ErrNotFound", got, err)
				}
			case "badrequest":
				if !isBadRequest(err) {
					t.Errorf("got %+v, %v; want a BadRequestError", got, err)
				}
			}
		})
	}
}

// TestPathRoundTrip: the names the MPD's templates produce parse back to
// what they name.
func TestPathRoundTrip(t *testing.T) {
	for _, ref := range []objectRef{
		{kind: objectInit, track: 7, init: 2},
		{kind: objectMedia, track: 7, value: 1},
		{kind: objectMedia, track: 65535, value: 1<<63 - 1},
	} {
		var path string
		if ref.kind == objectInit {
			path = fmt.Sprintf("live_x_%d_init%d.mp4", ref.track, ref.init)
		} else {
			path = fmt.Sprintf("live_x_%d_%d.mp4", ref.track, ref.value)
		}
		got, err := parsePath(path, "live_x")
		if err != nil || got != ref {
			t.Errorf("parsePath(%q): got %+v, %v; want %+v", path, got, err, ref)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, tc := range pathCases {
		f.Add(tc.path)
	}
	f.Fuzz(func(t *testing.T, path string) {
		ref, err := parsePath(path, "index")
		if err != nil {
			if !errors.Is(err, packager.ErrNotFound) && !isBadRequest(err) {
				t.Fatalf("parsePath(%q): unexpected error type %T: %v", path, err, err)
			}
			return
		}
		// Whatever parses names a canonical path.
		var again string
		switch ref.kind {
		case objectManifest:
			again = "index.mpd"
		case objectInit:
			again = fmt.Sprintf("index_%d_init%d.mp4", ref.track, ref.init)
		case objectMedia:
			again = fmt.Sprintf("index_%d_%d.mp4", ref.track, ref.value)
		}
		if again != path {
			t.Fatalf("parsePath(%q) = %+v, which names %q", path, ref, again)
		}
	})
}
