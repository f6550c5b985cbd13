package mediatest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Formats accepted by [PushOptions].
const (
	FormatHLS  = "hls"
	FormatDASH = "dash"
)

// Segment types accepted by [PushOptions].
const (
	SegmentTS   = "ts"
	SegmentFMP4 = "fmp4"
)

// pushLadder is the video ladder, largest first. Small sizes and the
// ultrafast preset keep a 3-rendition live encode to a fraction of one core,
// because CI has two.
var pushLadder = [...]struct {
	width, height, kbps int
}{
	{640, 360, 800},
	{480, 270, 500},
	{320, 180, 250},
	{256, 144, 150},
}

// stopGrace is how long Stop waits for ffmpeg to finish its playlists after
// SIGINT before killing it.
const stopGrace = 10 * time.Second

// PushOptions describes a live ffmpeg push.
type PushOptions struct {
	// URL is the ingest URL as MediaPackage hands it out, ending in the base
	// name, e.g. http://host/in/v2/ch/ep/channel. ffmpeg PUTs URL+".m3u8"
	// (the media playlist of a single rendition, or the multivariant
	// playlist of a ladder, whose media playlists are URL+"_<n>.m3u8"),
	// segments URL+"_<n>_<seq>.ts" (or .m4s, with init URL+"_<n>_init.mp4").
	// A URL ending in "/" gets the base name "channel".
	URL string
	// Username and Password, when set, are sent pre-emptively as HTTP Basic
	// on every request (ffmpeg cannot answer a challenge on PUT). HLS only.
	Username, Password string
	// Renditions is the number of video renditions (default 1, at most 4).
	// 1 is one TS (or fMP4) rendition with muxed audio; more is a ladder
	// (640x360, 480x270, 320x180, 256x144) with one separate AAC rendition.
	Renditions int
	// SegmentType is SegmentTS (default) or SegmentFMP4. DASH is always fMP4.
	SegmentType string
	// SegmentSeconds is the segment and GOP duration (default 2).
	SegmentSeconds int
	// Seconds is how much media to push; 0 pushes until Stop.
	Seconds int
	// OutputTSOffset shifts all timestamps (-output_ts_offset), e.g. to just
	// below the 33-bit PTS wrap (95443.7 s) for wrap tests.
	OutputTSOffset float64
	// Persistent reuses one keep-alive connection per variant
	// (-http_persistent 1): segment before playlist. Without it every PUT is
	// a new connection and a playlist may arrive before its segment.
	Persistent bool
	// Realtime paces the encoder at the media rate (-re). Without it ffmpeg
	// pushes as fast as it can encode.
	Realtime bool
	// Format is FormatHLS (default) or FormatDASH (ffmpeg's dash muxer over
	// PUT: URL+".mpd", segments URL+"_<n>_<seq>.m4s").
	Format string
	// ListSize is the number of segments in each playlist (default 6).
	ListSize int
	// HLSFlags are joined into -hls_flags, e.g. "delete_segments",
	// "program_date_time", "independent_segments".
	HLSFlags []string
	// UTCTimingURL is written into the MPD's UTCTiming element (DASH only).
	UTCTimingURL string
	// FrameRate is the video frame rate (default 25).
	FrameRate int
	// ExtraArgs are output options added just before -f.
	ExtraArgs []string
}

// Push is a running ffmpeg push. Its methods are safe for concurrent use.
type Push struct {
	// Args is ffmpeg's command line, for the test log.
	Args []string

	cmd      *exec.Cmd
	stderr   *lockedBuffer
	done     chan struct{}
	err      error
	playlist string
}

// StartPush starts ffmpeg pushing a synthetic live stream (testsrc2 and a
// 1 kHz tone, H.264 and AAC) to o.URL. It fails the test if ffmpeg is missing
// or the options are invalid. The push is killed when the test ends, and its
// stderr logged if the test failed.
//
// ffmpeg exits 0 and prints nothing even when every PUT was refused, so
// check what the origin stored and serves, not ffmpeg's status.
func StartPush(ctx context.Context, t testing.TB, o PushOptions) *Push {
	t.Helper()
	ffmpeg := RequireFFmpeg(t)
	args, playlist, err := pushArgs(o)
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	p := &Push{
		Args:     append([]string{ffmpeg}, args...),
		stderr:   &lockedBuffer{max: 64 << 10},
		done:     make(chan struct{}),
		playlist: playlist,
	}
	p.cmd = exec.CommandContext(ctx, ffmpeg, args...)
	p.cmd.Stderr = p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("mediatest: start ffmpeg push: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("ffmpeg push %s\nstderr:\n%s", strings.Join(p.Args, " "), tail(p.Stderr(), 8000))
		}
	})
	return p
}

// PlaylistURL is where ffmpeg PUTs the top playlist: the multivariant (or
// only) HLS playlist, or the MPD.
func (p *Push) PlaylistURL() string { return p.playlist }

// Stderr is the tail of what ffmpeg printed (at -v warning).
func (p *Push) Stderr() string { return p.stderr.String() }

// Done is closed when ffmpeg has exited.
func (p *Push) Done() <-chan struct{} { return p.done }

// Wait waits for ffmpeg to exit and returns its exit error (nil for 0).
func (p *Push) Wait() error {
	<-p.done
	return p.err
}

// Stop asks ffmpeg to finish (SIGINT: it closes the current segment and
// writes final playlists with EXT-X-ENDLIST), kills it if it has not exited
// within 10 s, and waits. It returns nil when ffmpeg stopped as asked.
func (p *Push) Stop() error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		p.Kill()
		return fmt.Errorf("ffmpeg push: did not stop within %v of SIGINT; killed", stopGrace)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && (ws.Signaled() || ws.ExitStatus() == 255) {
			return nil // ffmpeg's exit status after SIGINT
		}
	}
	return p.err
}

// Kill ends ffmpeg at once, as an encoder crash or network loss would, and
// waits for it to exit.
func (p *Push) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// pushArgs is ffmpeg's command line for o, in the order ffmpeg reads it:
// inputs, the encoding ladder, then the muxer and its output URL. playlist is
// the URL of the top playlist.
func pushArgs(o PushOptions) (args []string, playlist string, err error) {
	o, err = o.withDefaults()
	if err != nil {
		return nil, "", err
	}
	base := o.URL
	if strings.HasSuffix(base, "/") {
		base += "channel"
	}
	args = []string{"-nostdin", "-hide_banner", "-nostats", "-v", "warning"}
	args = append(args, o.inputArgs()...)
	args = append(args, o.ladderArgs()...)
	args = append(args, o.limitArgs()...)
	if o.Format == FormatDASH {
		out, playlist := o.dashOutputArgs(base)
		return append(args, out...), playlist, nil
	}
	out, playlist := o.hlsOutputArgs(base)
	return append(args, out...), playlist, nil
}

// withDefaults fills in o's unset fields and checks the result.
func (o PushOptions) withDefaults() (PushOptions, error) {
	if o.URL == "" {
		return o, errors.New("push: no URL")
	}
	if o.Renditions == 0 {
		o.Renditions = 1
	}
	if o.Renditions < 1 || o.Renditions > len(pushLadder) {
		return o, fmt.Errorf("push: %d renditions, want 1 to %d", o.Renditions, len(pushLadder))
	}
	if o.SegmentSeconds == 0 {
		o.SegmentSeconds = 2
	}
	if o.SegmentSeconds < 0 {
		return o, fmt.Errorf("push: segment duration %d s", o.SegmentSeconds)
	}
	if o.FrameRate == 0 {
		o.FrameRate = 25
	}
	if o.ListSize == 0 {
		o.ListSize = 6
	}
	if o.Format == "" {
		o.Format = FormatHLS
	}
	if o.SegmentType == "" {
		o.SegmentType = SegmentTS
	}
	switch {
	case o.Format != FormatHLS && o.Format != FormatDASH:
		return o, fmt.Errorf("push: format %q, want %q or %q", o.Format, FormatHLS, FormatDASH)
	case o.SegmentType != SegmentTS && o.SegmentType != SegmentFMP4:
		return o, fmt.Errorf("push: segment type %q, want %q or %q", o.SegmentType, SegmentTS, SegmentFMP4)
	case o.Format == FormatDASH && o.Username != "":
		return o, errors.New("push: ffmpeg's dash muxer cannot send credentials")
	}
	return o, nil
}

// inputArgs are the two synthetic inputs: 0 is testsrc2 at the top rung's
// size, 1 a 1 kHz tone.
func (o PushOptions) inputArgs() []string {
	var re []string
	if o.Realtime {
		re = []string{"-re"}
	}
	top := pushLadder[0]
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", top.width, top.height, o.FrameRate)
	var args []string
	args = append(args, re...)
	args = append(args, "-f", "lavfi", "-i", src)
	args = append(args, re...)
	return append(args, "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000")
}

// ladderArgs map the inputs to o.Renditions video streams (scaled down the
// ladder) and one audio stream, and set their encoders.
func (o PushOptions) ladderArgs() []string {
	n := o.Renditions
	var args []string
	if n == 1 {
		args = append(args, "-map", "0:v", "-map", "1:a")
	} else {
		var fc strings.Builder
		fmt.Fprintf(&fc, "[0:v]split=%d", n)
		for i := range n {
			fmt.Fprintf(&fc, "[s%d]", i)
		}
		for i := range n {
			r := pushLadder[i]
			fmt.Fprintf(&fc, ";[s%d]scale=%d:%d[v%d]", i, r.width, r.height, i)
		}
		args = append(args, "-filter_complex", fc.String())
		for i := range n {
			args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		}
		args = append(args, "-map", "1:a")
	}
	gop := strconv.Itoa(o.FrameRate * o.SegmentSeconds)
	args = append(args,
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
		"-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0",
	)
	for i := range n {
		k := pushLadder[i].kbps
		args = append(args,
			fmt.Sprintf("-b:v:%d", i), fmt.Sprintf("%dk", k),
			fmt.Sprintf("-maxrate:v:%d", i), fmt.Sprintf("%dk", k*11/10),
			fmt.Sprintf("-bufsize:v:%d", i), fmt.Sprintf("%dk", k*2),
		)
	}
	return append(args, "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-ar", "48000")
}

// limitArgs bound the output in time, shift its timestamps and add the
// caller's extra output options.
func (o PushOptions) limitArgs() []string {
	var args []string
	if o.Seconds > 0 {
		args = append(args, "-t", strconv.Itoa(o.Seconds))
	}
	if o.OutputTSOffset != 0 {
		args = append(args, "-output_ts_offset", strconv.FormatFloat(o.OutputTSOffset, 'f', -1, 64))
	}
	return append(args, o.ExtraArgs...)
}

// persistentFlag is the value of -http_persistent.
func (o PushOptions) persistentFlag() string {
	if o.Persistent {
		return "1"
	}
	return "0"
}

// dashOutputArgs are the dash muxer's options and output URL.
func (o PushOptions) dashOutputArgs(base string) (args []string, playlist string) {
	name := path.Base(base)
	args = []string{
		"-f", "dash", "-method", "PUT", "-http_persistent", o.persistentFlag(),
		"-seg_duration", strconv.Itoa(o.SegmentSeconds),
		"-window_size", strconv.Itoa(o.ListSize), "-extra_window_size", "2",
		"-use_template", "1", "-use_timeline", "1", "-streaming", "0", "-remove_at_exit", "0",
		"-adaptation_sets", "id=0,streams=v id=1,streams=a",
		"-init_seg_name", name + "_$RepresentationID$_init.m4s",
		"-media_seg_name", name + "_$RepresentationID$_$Number%05d$.m4s",
	}
	if o.UTCTimingURL != "" {
		args = append(args, "-utc_timing_url", o.UTCTimingURL)
	}
	playlist = base + ".mpd"
	return append(args, playlist), playlist
}

// hlsOutputArgs are the hls muxer's options and output URL.
func (o PushOptions) hlsOutputArgs(base string) (args []string, playlist string) {
	name := path.Base(base)
	n := o.Renditions
	args = []string{
		"-f", "hls", "-method", "PUT", "-http_persistent", o.persistentFlag(),
		"-hls_time", strconv.Itoa(o.SegmentSeconds), "-hls_list_size", strconv.Itoa(o.ListSize),
	}
	if len(o.HLSFlags) > 0 {
		args = append(args, "-hls_flags", strings.Join(o.HLSFlags, "+"))
	}
	if o.Username != "" || o.Password != "" {
		cred := base64.StdEncoding.EncodeToString([]byte(o.Username + ":" + o.Password))
		args = append(args, "-headers", "Authorization: Basic "+cred+"\r\n")
	}
	ext := ".ts"
	variant := ""
	if n > 1 {
		variant = "_%v"
		vsm := make([]string, 0, n+1)
		for i := range n {
			vsm = append(vsm, fmt.Sprintf("v:%d,agroup:aud", i))
		}
		vsm = append(vsm, "a:0,agroup:aud")
		args = append(args, "-var_stream_map", strings.Join(vsm, " "), "-master_pl_name", name+".m3u8")
	}
	if o.SegmentType == SegmentFMP4 {
		ext = ".m4s"
		args = append(args, "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", name+variant+"_init.mp4")
	}
	args = append(args, "-hls_segment_filename", base+variant+"_%05d"+ext)
	return append(args, base+variant+".m3u8"), base + ".m3u8"
}
