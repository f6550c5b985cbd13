package mediatest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxcar/internal/testutil"
)

// RequireFFmpeg returns the path of ffmpeg after checking for ffmpeg and
// ffprobe with [testutil.Need]: when either is missing the test skips, or
// fails in required mode.
func RequireFFmpeg(t testing.TB) string {
	t.Helper()
	p := testutil.Need(t, testutil.FFmpeg)
	testutil.Need(t, testutil.FFprobe)
	return p
}

// rwTimeout makes ffmpeg give up on a read that gets no data for this long
// (a server that accepted the connection and went silent), in microseconds.
const rwTimeout = "15000000"

// decodeOverhead is what Decode allows beyond twice the media duration
// when the caller's context has no deadline: start-up, a playlist reload.
const decodeOverhead = time.Minute

// DecodeResult is what ffmpeg made of a stream.
type DecodeResult struct {
	// Frames is the number of video frames decoded, from ffmpeg's -progress
	// report (0 for an audio-only stream).
	Frames int
	// Seconds is the media time decoded.
	Seconds float64
	// Errors is every line ffmpeg printed at -v error: decode errors, HTTP
	// errors, corrupt packets, non-monotonic timestamps.
	Errors []string
	// Wall is how long the decode took.
	Wall time.Duration
}

// Check returns nil when at least minFrames frames decoded without a single
// error line.
func (r *DecodeResult) Check(minFrames int) error {
	var problems []string
	if r.Frames < minFrames {
		problems = append(problems, fmt.Sprintf("decoded %d frames (%.1f s), want >= %d", r.Frames, r.Seconds, minFrames))
	}
	if n := len(r.Errors); n > 0 {
		shown := r.Errors
		if n > 5 {
			shown = shown[:5]
		}
		problems = append(problems, fmt.Sprintf("%d error line(s): %s", n, strings.Join(shown, " | ")))
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New("decode: " + strings.Join(problems, "; "))
}

// Decode plays url (HLS, DASH, a file, anything ffmpeg opens) with
//
//	ffmpeg -v error -i URL -t seconds -f null -
//
// and reports frames decoded and every error line. A live stream is read at
// the speed it is published, so this takes about seconds of wall time; ctx
// bounds it; without a deadline Decode gives up after twice seconds plus a
// minute.
//
// Live DASH is a weak spot of ffmpeg 5.1: after refreshing a live
// SegmentTimeline MPD its demuxer may re-read segments (error lines about
// non-monotonic DTS), and on a $Number$ MPD without a timeline it may ask
// for a segment that is not yet available. Judge live DASH with the players;
// Decode suits HLS (TS and fMP4), static MPDs and files.
//
// The caller checks for ffmpeg first (RequireFFmpeg, or testutil.Need), so
// that a missing ffmpeg skips the test or fails it as the policy says;
// Decode itself cannot skip. The error is non-nil when ffmpeg is missing
// (a *testutil.MissingToolError), could not run or exited non-zero (the
// result is still returned, with ffmpeg's error lines).
func Decode(ctx context.Context, url string, seconds int) (*DecodeResult, error) {
	ffmpeg, err := testutil.Find(testutil.FFmpeg)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", url, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		// A live stream that never delivers enough media (or a demuxer
		// that loops) would otherwise hold the test until go test's
		// timeout.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Duration(seconds)*time.Second+decodeOverhead)
		defer cancel()
	}
	args := []string{
		"-nostdin", "-hide_banner", "-nostats", "-v", "error",
		"-progress", "pipe:1",
		"-rw_timeout", rwTimeout,
		"-i", url,
		"-t", strconv.Itoa(seconds),
		"-f", "null", "-",
	}
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", url, err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("decode %s: %w", url, err)
	}
	res := &DecodeResult{}
	readProgress(stdout, res)
	runErr := cmd.Wait()
	res.Wall = time.Since(start)
	for _, l := range strings.Split(stderr.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			res.Errors = append(res.Errors, l)
		}
	}
	if runErr != nil {
		return res, fmt.Errorf("decode %s: ffmpeg: %w (%s)", url, runErr, tail(stderr.String(), 2000))
	}
	return res, nil
}

// readProgress reads ffmpeg's -progress key=value blocks, keeping the last
// frame count and output time.
func readProgress(r io.Reader, res *DecodeResult) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "frame":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				res.Frames = n
			}
		case "out_time_us":
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
				res.Seconds = float64(n) / 1e6
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and readers,
// keeping at most max bytes (the tail).
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if b.max > 0 && len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
