package mediatest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"boxcar/internal/testutil"
)

func TestStartPushStoresWhatItNames(t *testing.T) {
	RequireFFmpeg(t)
	tests := []struct {
		name  string
		opts  PushOptions
		files []string // must exist under /live after the push
	}{
		{
			name:  "single TS",
			opts:  PushOptions{},
			files: []string{"channel.m3u8", "channel_00000.ts", "channel_00002.ts"},
		},
		{
			name: "TS ladder",
			opts: PushOptions{Renditions: 3, Persistent: true},
			files: []string{"channel.m3u8", "channel_0.m3u8", "channel_2.m3u8", "channel_3.m3u8",
				"channel_0_00000.ts", "channel_2_00001.ts", "channel_3_00001.ts"},
		},
		{
			name: "fMP4 ladder",
			opts: PushOptions{Renditions: 2, SegmentType: SegmentFMP4},
			files: []string{"channel.m3u8", "channel_0.m3u8", "channel_1.m3u8", "channel_2.m3u8",
				"channel_0_init.mp4", "channel_2_init.mp4", "channel_0_00000.m4s", "channel_2_00002.m4s"},
		},
		{
			name:  "DASH",
			opts:  PushOptions{Format: FormatDASH, Renditions: 2},
			files: []string{"channel.mpd", "channel_0_init.m4s", "channel_2_init.m4s", "channel_1_00001.m4s", "channel_2_00003.m4s"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			auth := tc.opts.Format != FormatDASH
			o := DirServerOptions{}
			if auth {
				o = DirServerOptions{Username: "enc", Password: "pw"}
			}
			srv := ServeDir(t, t.TempDir(), o)
			po := tc.opts
			po.URL = srv.URL + "/live/channel"
			if auth {
				po.Username, po.Password = "enc", "pw"
			}
			po.SegmentSeconds = 1
			po.Seconds = 3
			p := StartPush(t.Context(), t, po)
			if err := p.Wait(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, p.Stderr())
			}
			// ffmpeg may exit before the origin has stored its last PUTs.
			deadline := time.Now().Add(5 * time.Second)
			for _, f := range tc.files {
				for !fileExists(filepath.Join(srv.Dir, "live", f)) && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if !fileExists(filepath.Join(srv.Dir, "live", f)) {
					t.Errorf("%s not stored; have %v", f, listDir(filepath.Join(srv.Dir, "live")))
				}
			}
			if st := srv.Stats(); st.Rejected > 0 {
				t.Errorf("%d writes rejected", st.Rejected)
			}
			if want := po.URL + ".m3u8"; tc.opts.Format != FormatDASH && p.PlaylistURL() != want {
				t.Errorf("PlaylistURL() = %q, want %q", p.PlaylistURL(), want)
			}
			// Playlists name segments relative to themselves, never by URL.
			for _, f := range listDir(filepath.Join(srv.Dir, "live")) {
				if strings.HasSuffix(f, ".m3u8") || strings.HasSuffix(f, ".mpd") {
					b, _ := os.ReadFile(filepath.Join(srv.Dir, "live", f))
					if strings.Contains(string(b), "127.0.0.1") && !strings.Contains(string(b), "/time") {
						t.Errorf("%s names absolute URLs:\n%s", f, b)
					}
				}
			}
		})
	}
}

func TestStartPushWrongPasswordStoresNothing(t *testing.T) {
	RequireFFmpeg(t)
	srv := ServeDir(t, t.TempDir(), DirServerOptions{Username: "enc", Password: "right"})
	p := StartPush(t.Context(), t, PushOptions{
		URL: srv.URL + "/live/channel", Username: "enc", Password: "wrong", SegmentSeconds: 1, Seconds: 2,
	})
	err := p.Wait()
	t.Logf("ffmpeg exit after every PUT got 401: %v", err) // 0: see tooling.md
	st := srv.Stats()
	if st.Rejected == 0 || st.Writes != 0 {
		t.Errorf("stats %+v, want writes rejected and none stored", st)
	}
	if files := listDir(filepath.Join(srv.Dir, "live")); len(files) > 0 {
		t.Errorf("stored %v", files)
	}
}

func TestPushStopEndsThePlaylist(t *testing.T) {
	RequireFFmpeg(t)
	srv := ServeDir(t, t.TempDir(), DirServerOptions{})
	p := StartPush(t.Context(), t, PushOptions{URL: srv.URL + "/live/", SegmentSeconds: 1, Realtime: true, Persistent: true})
	playlist := filepath.Join(srv.Dir, "live", "channel.m3u8")
	waitFor(t, 20*time.Second, "first segment", func() bool { return countMatches(playlist, `#EXTINF`) >= 1 })
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v\n%s", err, p.Stderr())
	}
	// ffmpeg may exit before the origin has stored its last PUT.
	waitFor(t, 5*time.Second, "EXT-X-ENDLIST after Stop", func() bool { return countMatches(playlist, `#EXT-X-ENDLIST`) == 1 })
}

func TestPushArgs(t *testing.T) {
	tests := []struct {
		name    string
		opts    PushOptions
		want    [][]string // runs of consecutive args that must appear
		wantErr bool
	}{
		{"defaults", PushOptions{URL: "http://h/in/channel"}, [][]string{{"-g", "50", "-keyint_min", "50"}, {"-hls_segment_filename", "http://h/in/channel_%05d.ts", "http://h/in/channel.m3u8"}}, false},
		{"basic auth", PushOptions{URL: "http://h/c", Username: "u", Password: "p"}, [][]string{{"-headers", "Authorization: Basic dTpw\r\n"}}, false},
		{"PTS offset", PushOptions{URL: "http://h/c", OutputTSOffset: 95430.5}, [][]string{{"-output_ts_offset", "95430.5"}}, false},
		{"realtime", PushOptions{URL: "http://h/c", Realtime: true}, [][]string{{"-re", "-f", "lavfi"}}, false},
		{"ladder", PushOptions{URL: "http://h/c", Renditions: 3}, [][]string{{"-var_stream_map", "v:0,agroup:aud v:1,agroup:aud v:2,agroup:aud a:0,agroup:aud", "-master_pl_name", "c.m3u8"}, {"http://h/c_%v.m3u8"}}, false},
		{"fmp4", PushOptions{URL: "http://h/c", SegmentType: SegmentFMP4, SegmentSeconds: 4}, [][]string{{"-g", "100"}, {"-hls_fmp4_init_filename", "c_init.mp4", "-hls_segment_filename", "http://h/c_%05d.m4s"}}, false},
		{"flags", PushOptions{URL: "http://h/c", HLSFlags: []string{"delete_segments", "program_date_time"}}, [][]string{{"-hls_flags", "delete_segments+program_date_time"}}, false},
		{"no URL", PushOptions{}, nil, true},
		{"too many renditions", PushOptions{URL: "http://h/c", Renditions: 9}, nil, true},
		{"bad segment type", PushOptions{URL: "http://h/c", SegmentType: "mkv"}, nil, true},
		{"DASH with credentials", PushOptions{URL: "http://h/c", Format: FormatDASH, Username: "u"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, _, err := pushArgs(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			for _, run := range tc.want {
				if !containsRun(args, run) {
					t.Errorf("args %q\nlack %q", args, run)
				}
			}
		})
	}
}

func containsRun(args, run []string) bool {
	for i := range args {
		if i+len(run) <= len(args) && slices.Equal(args[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

func listDir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestDecode(t *testing.T) {
	RequireFFmpeg(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv := ServeDir(t, t.TempDir(), DirServerOptions{})
	p := StartPush(ctx, t, PushOptions{URL: srv.URL + "/vod/channel", SegmentSeconds: 1, Seconds: 4})
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := Decode(ctx, srv.URL+"/vod/channel.m3u8", 3)
	if err != nil {
		t.Fatal(err)
	}
	// -t 3 counts from the first audio packet, a little before the first
	// video frame: 74 or 75 frames.
	if err := res.Check(74); err != nil {
		t.Error(err)
	}

	res, err = Decode(ctx, srv.URL+"/vod/missing.m3u8", 3)
	if err == nil || len(res.Errors) == 0 {
		t.Errorf("decoding a 404: err %v, error lines %q; want both", err, res.Errors)
	}
	if res.Check(1) == nil {
		t.Error("Check passed a 404")
	}
}

// TestDecodeWithoutFFmpeg: Decode cannot skip a test, so without ffmpeg it
// says which tool is missing and how to install it.
func TestDecodeWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Decode(t.Context(), "http://127.0.0.1:1/a.m3u8", 1)
	var missing *testutil.MissingToolError
	if !errors.As(err, &missing) || missing.Tool != testutil.FFmpeg {
		t.Fatalf("Decode without ffmpeg: error %v, want a *testutil.MissingToolError for ffmpeg", err)
	}
}
