package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"boxcar/internal/hls/playlist"
	"boxcar/internal/mediatest"
	"boxcar/internal/push"
)

// TestPushIntoBoxcar pushes three loops of a clip as fast as Boxcar takes
// them, in each layout and authentication mode, and judges what Boxcar's
// HLS endpoint serves: ffmpeg decodes it without an error, the packets of
// every rendition run on without a jump at the loop seams (or at the
// 33-bit PTS wrap), and Boxcar saw no gap or discontinuity.
func TestPushIntoBoxcar(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	for _, c := range []struct {
		name string
		opts push.Options
		// files are test clips to loop instead of the demo clip.
		files []string
		fps   int
	}{
		{name: "ts-basic", opts: push.Options{Auth: push.AuthBasic}, fps: 25},
		{name: "fmp4-digest", opts: push.Options{SegmentType: push.SegmentFMP4, Auth: push.AuthDigest}, fps: 25},
		{name: "ts-muxed-audio-auto", opts: push.Options{MuxedAudio: true}, fps: 25},
		{name: "ts-pts-wrap", opts: push.Options{StartNearWrap: true, Auth: push.AuthDigest}, fps: 25},
		{name: "ts-files-44k", files: []string{"ladder.mp4"}, opts: push.Options{DeleteOld: true, WindowSegments: 3}, fps: 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigin(t)
			in, play := o.channel(t, "ch")
			opts := c.opts
			opts.URL, opts.Username, opts.Password = aws.ToString(in.Url), aws.ToString(in.Username), aws.ToString(in.Password)
			if c.files != nil {
				var paths []string
				for _, f := range c.files {
					paths = append(paths, testClip(t, f))
				}
				clip, err := push.LoadFiles(paths...)
				if err != nil {
					t.Fatal(err)
				}
				opts.Clip = clip
			}
			var out bytes.Buffer
			opts.Status = &out
			clip := opts.Clip
			if clip == nil {
				clip = demoClip(t)
			}
			plan, err := push.NewPlan(clip, push.DefaultSegmentDuration, 0)
			if err != nil {
				t.Fatal(err)
			}
			opts.Duration = 3 * plan.LoopDuration()
			err = push.Run(context.Background(), opts)
			t.Logf("push output:\n%s", out.String())
			if err != nil {
				t.Fatal(err)
			}

			var st struct {
				Segments      int  `json:"segments"`
				Gaps          int  `json:"gaps"`
				Discontinuity int  `json:"discontinuitySequence"`
				Ended         bool `json:"ended"`
			}
			if err := json.Unmarshal([]byte(o.status(t, "ch")), &st); err != nil {
				t.Fatal(err)
			}
			if want := 3 * plan.SegmentsPerLoop(); st.Segments != want || st.Gaps != 0 || st.Discontinuity != 0 || !st.Ended {
				t.Errorf("ingest status: %+v, want %d segments, no gap, no discontinuity, ended", st, want)
			}

			// Every media playlist Boxcar serves lists the whole stream
			// without a discontinuity.
			media := mediaPlaylists(t, play)
			for _, m := range media {
				pl := parseMedia(t, m)
				if len(pl.Segments) != st.Segments || !pl.EndList {
					t.Errorf("%s: %d segments, ended %v; want %d, ended", m, len(pl.Segments), pl.EndList, st.Segments)
				}
				for i, s := range pl.Segments {
					if s.Discontinuity {
						t.Errorf("%s: discontinuity before segment %d", m, i)
					}
				}
				first, last := checkPackets(t, m, c.fps)
				// ffprobe unwraps a stream that starts before the wrap
				// into negative times; modulo 2^33 it must start below
				// the wrap and run past it.
				if start := (first%(1<<33) + 1<<33) % (1 << 33); opts.StartNearWrap && start+last-first <= 1<<33 {
					t.Errorf("%s: video DTS from %d (%d modulo 2^33) to %d, want across 2^33", m, first, start, last)
				}
			}

			frames := int(opts.Duration.Seconds()) * c.fps
			res, err := mediatest.Decode(context.Background(), play, int(opts.Duration.Seconds())+5)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Check(frames - c.fps/2); err != nil {
				t.Error(err)
			}
		})
	}
}

// mediaPlaylists returns the URLs of the media playlists a multivariant
// playlist names (variants and renditions).
func mediaPlaylists(t *testing.T, multivariant string) []string {
	t.Helper()
	base, err := url.Parse(multivariant)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, multivariant)
	var out []string
	for _, line := range strings.Split(body, "\n") {
		ref := ""
		switch {
		case strings.HasPrefix(line, "#EXT-X-MEDIA:"):
			if i := strings.Index(line, `URI="`); i >= 0 {
				ref = line[i+5:]
				ref = ref[:strings.IndexByte(ref, '"')]
			}
		case line != "" && !strings.HasPrefix(line, "#"):
			ref = line
		}
		if ref != "" {
			u, err := base.Parse(ref)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u.String())
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s names no media playlist:\n%s", multivariant, body)
	}
	return out
}

func parseMedia(t *testing.T, u string) *playlist.Media {
	t.Helper()
	b := getBytes(t, u)
	pl, err := playlist.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v\n%s", u, err, b)
	}
	m, ok := pl.(*playlist.Media)
	if !ok {
		t.Fatalf("%s is not a media playlist", u)
	}
	return m
}

// checkPackets reads a media playlist with ffprobe and checks that every
// stream's decode times step by one frame from packet to packet: a loop
// seam or a timestamp wrap that the player would see as a jump fails. It
// returns the first and last video DTS (as ffprobe unwraps them).
func checkPackets(t *testing.T, u string, fps int) (first, last int64) {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=codec_type,dts,duration", "-of", "csv=p=0", u)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", u, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("ffprobe %s: %s", u, stderr.String())
	}
	prevDTS := map[string]int64{}
	count := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		kind := f[0]
		dts, err1 := strconv.ParseInt(f[1], 10, 64)
		dur, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad packet line %q", u, line)
		}
		if kind == "video" {
			if count[kind] == 0 {
				first = dts
			}
			last = dts
		}
		if prev, ok := prevDTS[kind]; ok {
			step := dts - prev
			want := int64(90000 / fps)
			if kind == "audio" {
				want = dur
			}
			// Audio times of 44.1 kHz frames round to whole 90 kHz ticks.
			if abs(step-want) > 2 {
				t.Errorf("%s: %s packet %d at DTS %d, %d after the previous, want %d", u, kind, count[kind], dts, step, want)
				return first, last
			}
		}
		prevDTS[kind] = dts
		count[kind]++
	}
	if len(count) == 0 {
		t.Errorf("%s: ffprobe found no packets", u)
	}
	t.Logf("%s: packets %v, video DTS %d to %d", u, count, first, last)
	return first, last
}
