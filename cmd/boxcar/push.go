package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"boxcar/internal/push"
)

const pushUsage = `usage: boxcar push [flags] INGEST_URL

Loops MP4 files (or the built-in demo clip) as an endless live HLS stream
with continuous timestamps and pushes it over HTTP PUT to an ingest URL,
Boxcar's or AWS Elemental MediaPackage's:

  boxcar push --username U --password P http://127.0.0.1:8080/in/v2/CHANNEL/ENDPOINT/channel
  boxcar push --input 720p.mp4 --input 360p.mp4 --segment-type fmp4 URL

Objects go next to the URL's last element: channel.m3u8, channel_<n>.m3u8,
channel_<n>_<seq>.ts (fMP4: channel_<n>_init.mp4, channel_<n>_<seq>.m4s).

flags:
  --input FILE            MP4 file to loop, repeatable: one file with several video
                          tracks, or a file per rendition; the first audio track
                          found is the audio (default: the built-in demo clip)
  --username USER         ingest username (BOXCAR_PUSH_USERNAME)
  --password PASS         ingest password (BOXCAR_PUSH_PASSWORD)
  --auth MODE             auto (answer the server's challenge: Digest, else Basic),
                          basic (pre-emptive) or digest (default auto)
  --segment-type TYPE     ts or fmp4 (default ts)
  --muxed-audio           mux the audio into every video rendition (TS only; default:
                          video-only renditions and a separate audio rendition)
  --segment-duration D    segment duration, rounded to whole GOPs (default 2s)
  --duration D            media to push, then end the playlists; 0 = forever (default 0)
  --realtime              pace uploads at the media rate (default true;
                          --realtime=false pushes as fast as the server accepts)
  --head-start D          media to push at once before pacing (default 0)
  --start-near-wrap       start timestamps 10 s before the 33-bit PTS wrap
  --delete-old            DELETE segments that leave the playlist window
  --window N              segments per media playlist (default 10)
  --status-interval D     how often to print the status line (default 1s on a
                          terminal, else 5s)`

// pushCommand runs "boxcar push".
func pushCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	var inputs stringList
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	fs.Var(&inputs, "input", "")
	user := fs.String("username", env["BOXCAR_PUSH_USERNAME"], "")
	pass := fs.String("password", env["BOXCAR_PUSH_PASSWORD"], "")
	auth := fs.String("auth", "auto", "")
	segType := fs.String("segment-type", "ts", "")
	muxed := fs.Bool("muxed-audio", false, "")
	segDur := fs.Duration("segment-duration", push.DefaultSegmentDuration, "")
	dur := fs.Duration("duration", 0, "")
	realtime := fs.Bool("realtime", true, "")
	headStart := fs.Duration("head-start", 0, "")
	nearWrap := fs.Bool("start-near-wrap", false, "")
	deleteOld := fs.Bool("delete-old", false, "")
	window := fs.Int("window", push.DefaultWindowSegments, "")
	interval := fs.Duration("status-interval", 0, "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintln(stdout, pushUsage)
			return nil
		}
		return fmt.Errorf("push: %w\n\n%s", err, pushUsage)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("push: want one ingest URL, got %d arguments\n\n%s", fs.NArg(), pushUsage)
	}
	o := push.Options{
		URL: fs.Arg(0), Username: *user, Password: *pass,
		MuxedAudio: *muxed, SegmentDuration: *segDur, Duration: *dur, Realtime: *realtime,
		HeadStart: *headStart, StartNearWrap: *nearWrap, DeleteOld: *deleteOld, WindowSegments: *window,
		Status: stdout, Terminal: isTerminal(stdout), StatusInterval: *interval,
		UserAgent: "Boxcar/" + version + " push",
	}
	var err error
	if o.Auth, err = push.ParseAuth(*auth); err != nil {
		return err
	}
	if o.SegmentType, err = push.ParseSegmentType(*segType); err != nil {
		return err
	}
	if *segDur <= 0 || *dur < 0 || *headStart < 0 || *window < 1 {
		return fmt.Errorf("push: --segment-duration and --window must be positive, --duration and --head-start not negative")
	}
	if len(inputs) > 0 {
		if o.Clip, err = push.LoadFiles(inputs...); err != nil {
			return err
		}
	}
	return push.Run(ctx, o)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// isTerminal reports whether w is a terminal, where a status line can be
// redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
