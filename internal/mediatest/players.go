package mediatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"boxcar/internal/testutil"
)

// Player names accepted by [PlayOptions].
const (
	PlayerHLSJS  = "hlsjs"
	PlayerShaka  = "shaka"
	PlayerDashJS = "dashjs"
)

// defaultBrowsers is how many browsers may play at once on this machine,
// across test binaries (go test runs packages in parallel): Chromium with a
// player and software decoding takes about half a core, and a starved
// player stalls for reasons that are not the server's. Measured on 2 cores:
// 3 players beside 2 live encoders play cleanly, 5 do not.
// BOXCAR_E2E_BROWSERS overrides it.
const defaultBrowsers = 3

// playOverhead bounds what a play costs beyond its Seconds of sampling when
// the caller's context has no deadline: Chromium start-up and shutdown on a
// loaded 2-core machine.
const playOverhead = 90 * time.Second

// Players runs e2e/play.mjs: one of hls.js, Shaka Player and dash.js in
// headless Chromium. It is safe for concurrent use; each Play starts its own
// browser.
type Players struct {
	node     string
	script   string
	root     string
	chromium string
}

// NewPlayers returns the player harness after checking for Node.js with
// e2e/node_modules and for Chromium with [testutil.Need]: when one is
// missing the test skips, or fails in required mode. A test that plays
// skips under -short before calling it, so that -short never looks for a
// browser.
func NewPlayers(t testing.TB) *Players {
	t.Helper()
	root := ModuleRoot(t)
	p := &Players{
		root:   root,
		script: filepath.Join(root, "e2e", "play.mjs"),
	}
	p.node = testutil.Need(t, testutil.E2EModules)
	p.chromium = testutil.Need(t, testutil.Chromium)
	if _, err := os.Stat(p.script); err != nil {
		t.Fatalf("mediatest: cannot run players: %v", err)
	}
	return p
}

// PlayOptions says what to play and how.
type PlayOptions struct {
	// Player is PlayerHLSJS, PlayerShaka or PlayerDashJS. With PageURL it is
	// only a label.
	Player string
	// URL is the manifest (.m3u8 or .mpd). The harness page is on another
	// origin, so the server must send CORS headers.
	URL string
	// Seconds is how long to watch, in wall time, counted from the moment the
	// player is told to load: start-up is included, so this is also the
	// deadline for playback to start. Leave a loaded machine room; Check
	// asks only a few seconds of playback, advancing to the end. Zero means
	// 20.
	Seconds int
	// Switch forces a switch to another video rendition at half time.
	Switch bool
	// Screenshot, when set, is where a PNG of the page is written at the end.
	Screenshot string
	// PageURL, when set, opens that page (which has its own player) instead
	// of the harness page, and watches its first <video> element.
	PageURL string
}

// Play runs one player and returns its report. The error is for harness
// failures (node missing, no report printed); a playback failure is a
// successful Play whose result's Check says what went wrong.
func (p *Players) Play(ctx context.Context, o PlayOptions) (*PlayResult, error) {
	if o.Seconds <= 0 {
		o.Seconds = 20
	}
	if o.PageURL == "" {
		switch o.Player {
		case PlayerHLSJS, PlayerShaka, PlayerDashJS:
		default:
			return nil, fmt.Errorf("play: unknown player %q", o.Player)
		}
		if o.URL == "" {
			return nil, errors.New("play: no URL")
		}
	}
	begin := time.Now()
	release, err := acquireBrowserSlot(ctx)
	if err != nil {
		return nil, fmt.Errorf("play %s %s: waiting for a browser slot: %w", o.Player, o.URL+o.PageURL, err)
	}
	defer release()
	slotWait := time.Since(begin)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(o.Seconds)*time.Second+playOverhead)
		defer cancel()
	}
	args := []string{p.script, "--seconds", strconv.Itoa(o.Seconds)}
	if o.Player != "" {
		args = append(args, "--player", o.Player)
	}
	if o.URL != "" {
		args = append(args, "--url", o.URL)
	}
	if o.Switch {
		args = append(args, "--switch")
	}
	if o.Screenshot != "" {
		args = append(args, "--screenshot", o.Screenshot)
	}
	if o.PageURL != "" {
		args = append(args, "--page", o.PageURL)
	}
	cmd := exec.CommandContext(ctx, p.node, args...)
	cmd.Dir = p.root
	cmd.Env = append(os.Environ(), "BOXCAR_CHROMIUM="+p.chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// Chromium runs in node's process group: on cancellation kill them all,
	// so no browser outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	var res PlayResult
	line := lastLine(stdout.Bytes())
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, fmt.Errorf("play %s %s: no report (%v, run error %v); stderr:\n%s",
			o.Player, o.URL+o.PageURL, err, runErr, tail(stderr.String(), 4000))
	}
	res.Stderr = stderr.String()
	res.SlotWait = slotWait
	res.Elapsed = time.Since(begin)
	if runErr != nil {
		return &res, fmt.Errorf("play %s %s: %w; stderr:\n%s", o.Player, o.URL+o.PageURL, runErr, tail(res.Stderr, 4000))
	}
	return &res, nil
}

// acquireBrowserSlot takes one of the machine-wide browser slots: an
// exclusive flock on one of the files boxcar-e2e-browser-<i>.lock in the
// temporary directory. The kernel drops the lock if the process dies.
func acquireBrowserSlot(ctx context.Context) (release func(), err error) {
	n := defaultBrowsers
	if v, err := strconv.Atoi(os.Getenv("BOXCAR_E2E_BROWSERS")); err == nil && v > 0 {
		n = v
	}
	for {
		for i := range n {
			name := filepath.Join(os.TempDir(), fmt.Sprintf("boxcar-e2e-browser-%d.lock", i))
			f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o666)
			if err != nil {
				return nil, err
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
				return func() { _ = f.Close() }, nil // closing the file drops the lock
			}
			_ = f.Close()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// PlayResult mirrors the JSON report of e2e/play.mjs. Times named T or
// *At are wall seconds since the player was told to load; CurrentTime values
// are media seconds of the <video> element.
type PlayResult struct {
	// OK: the harness ran, playback started, no fatal error, and the switch,
	// if requested, happened. Check applies the caller's bounds.
	OK            bool   `json:"ok"`
	Player        string `json:"player"`
	PlayerVersion string `json:"playerVersion"`
	URL           string `json:"url"`
	PageURL       string `json:"pageUrl"`
	Browser       string `json:"browser"`

	WallSeconds float64 `json:"wallSeconds"`
	// Started: currentTime advanced at playback speed at least once.
	Started          bool    `json:"started"`
	StartupSeconds   float64 `json:"startupSeconds"`
	StartCurrentTime float64 `json:"startCurrentTime"`
	EndCurrentTime   float64 `json:"endCurrentTime"`
	// AdvancedSeconds is EndCurrentTime-StartCurrentTime; PlayedSeconds sums
	// only the sample-to-sample advances at about playback speed, so player
	// seeks and gap jumps (listed in Jumps) do not count.
	AdvancedSeconds float64 `json:"advancedSeconds"`
	PlayedSeconds   float64 `json:"playedSeconds"`
	// MaxStallSeconds is the longest wall-time span after playback started in
	// which currentTime did not advance (sampled every 500 ms).
	MaxStallSeconds float64 `json:"maxStallSeconds"`

	// Errors holds every player error event, fatal or not, plus <video>
	// element errors and uncaught page exceptions; FatalErrors the fatal ones.
	Errors      []PlayerError    `json:"errors"`
	FatalErrors []PlayerError    `json:"fatalErrors"`
	MediaEvents []MediaEvent     `json:"mediaEvents"`
	HTTPErrors  []HTTPError      `json:"httpErrors"`
	Console     []ConsoleMessage `json:"console"`
	Jumps       []Jump           `json:"jumps"`

	Renditions       []Rendition `json:"renditions"`
	RenditionBefore  *Rendition  `json:"renditionBefore"`
	RenditionAfter   *Rendition  `json:"renditionAfter"`
	SwitchRequested  bool        `json:"switchRequested"`
	SwitchTarget     *Rendition  `json:"switchTarget"`
	SwitchAt         *float64    `json:"switchAt"`
	SwitchRenderedAt *float64    `json:"switchRenderedAt"`
	// Switched: at the end the player reported the target rendition, and
	// the <video> element showed its height.
	Switched    bool   `json:"switched"`
	SwitchError string `json:"switchError"`

	HarnessError string   `json:"harnessError"`
	Samples      []Sample `json:"samples"`

	// Stderr is what play.mjs wrote to stderr, for diagnostics.
	Stderr string `json:"-"`
	// SlotWait is how long Play waited for a browser slot; Elapsed is the
	// whole Play, slot wait, browser start-up and shutdown included.
	SlotWait time.Duration `json:"-"`
	Elapsed  time.Duration `json:"-"`
}

// PlayerError is one error event.
type PlayerError struct {
	T       float64 `json:"t"`
	Source  string  `json:"source"` // hlsjs, shaka, dashjs, video or page
	Fatal   bool    `json:"fatal"`
	Type    string  `json:"type"`
	Details string  `json:"details"`
	Message string  `json:"message"`
	URL     string  `json:"url"`
	Status  int     `json:"status"`
}

func (e PlayerError) String() string {
	s := fmt.Sprintf("%.1fs %s %s/%s", e.T, e.Source, e.Type, e.Details)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.URL != "" {
		s += " (" + e.URL + ")"
	}
	return s
}

// MediaEvent is one event of the <video> element: error, waiting, stalled,
// playing, seeking, seeked, ended or emptied.
type MediaEvent struct {
	T           float64 `json:"t"`
	Type        string  `json:"type"`
	CurrentTime float64 `json:"currentTime"`
	ReadyState  int     `json:"readyState"`
	Code        int     `json:"code"`
	Message     string  `json:"message"`
}

// HTTPError is a request of the page that failed or got a status >= 400.
type HTTPError struct {
	T      float64 `json:"t"`
	URL    string  `json:"url"`
	Status int     `json:"status"` // 0 when the request failed (CORS, connection)
	Error  string  `json:"error"`
}

// ConsoleMessage is a console error or warning of the page.
type ConsoleMessage struct {
	T    float64 `json:"t"`
	Type string  `json:"type"`
	Text string  `json:"text"`
}

// Jump is a sample-to-sample change of currentTime that was not playback:
// a seek, a gap jump, a jump back.
type Jump struct {
	T    float64 `json:"t"`
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// Rendition is a video rendition as the player reports it: an hls.js level,
// a Shaka variant track or a dash.js video representation.
type Rendition struct {
	Index     int     `json:"index"`
	ID        string  `json:"id"`
	Bandwidth float64 `json:"bandwidth"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
}

func (r *Rendition) String() string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("#%d %dx%d %.0f bit/s", r.Index, r.Width, r.Height, r.Bandwidth)
}

// Sample is the state of the <video> element at one instant.
type Sample struct {
	T             float64      `json:"t"`
	CurrentTime   float64      `json:"currentTime"`
	ReadyState    int          `json:"readyState"`
	Paused        bool         `json:"paused"`
	Seeking       bool         `json:"seeking"`
	Buffered      [][2]float64 `json:"buffered"`
	VideoWidth    int          `json:"videoWidth"`
	VideoHeight   int          `json:"videoHeight"`
	DecodedFrames int          `json:"decodedFrames"`
	DroppedFrames int          `json:"droppedFrames"`
	Rendition     *Rendition   `json:"rendition"`
}

// Check judges the run as a viewer would, with bounds that hold on a busy
// CI machine. It returns nil when
//
//   - playback started within the watch (a slow start-up is no failure:
//     the watch window is the start-up deadline);
//   - currentTime advanced by at least minAdvance media seconds, counted
//     both as AdvancedSeconds and PlayedSeconds (so seeks and gap jumps do
//     not count);
//   - once started, currentTime never stood still for more than maxStall
//     wall seconds, and it was still advancing at the end: it moved within
//     the last maxStall seconds of the watch;
//   - the <video> element decoded frames while playing;
//   - no error was fatal, and a requested rendition switch happened.
//
// minAdvance is a floor that proves playback is real (a few segments), not
// a share of the watch: start-up on a loaded machine may take most of the
// watch. A player that stops fails on the stall bound and on the end
// check, however late it started. Otherwise the error lists every problem
// with the evidence needed to debug it.
func (r *PlayResult) Check(minAdvance, maxStall float64) error {
	var problems []string
	if r.HarnessError != "" {
		problems = append(problems, "harness: "+firstLine(r.HarnessError))
	}
	switch {
	case !r.Started:
		last := "no samples"
		if n := len(r.Samples); n > 0 {
			s := r.Samples[n-1]
			last = fmt.Sprintf("at the end currentTime %.2f, readyState %d, paused %v", s.CurrentTime, s.ReadyState, s.Paused)
		}
		problems = append(problems, fmt.Sprintf("playback never started in %.1f s (%s)", r.WallSeconds, last))
	case r.AdvancedSeconds < minAdvance || r.PlayedSeconds < minAdvance:
		problems = append(problems, fmt.Sprintf("currentTime advanced %.1f s (played %.1f s) after a %.1f s start-up in a %.1f s watch, want >= %.1f s",
			r.AdvancedSeconds, r.PlayedSeconds, r.StartupSeconds, r.WallSeconds, minAdvance))
	}
	if r.Started {
		if r.MaxStallSeconds > maxStall {
			problems = append(problems, fmt.Sprintf("longest stall %.1f s, want <= %.1f s", r.MaxStallSeconds, maxStall))
		}
		if last, ok := r.lastAdvance(); !ok {
			problems = append(problems, "no samples after start-up")
		} else if end := r.Samples[len(r.Samples)-1]; end.T-last.T > maxStall {
			problems = append(problems, fmt.Sprintf("playback stopped: currentTime stuck at %.2f from %.1f s to the end of the watch at %.1f s, want it advancing within the last %.1f s",
				end.CurrentTime, last.T, end.T, maxStall))
		}
		if n := r.FramesDecoded(); n == 0 {
			problems = append(problems, "no video frames decoded")
		}
	}
	if n := len(r.FatalErrors); n > 0 {
		problems = append(problems, fmt.Sprintf("%d fatal error(s): %s", n, joinErrors(r.FatalErrors, 3)))
	}
	if r.SwitchRequested && !r.Switched {
		at := "never (" + r.SwitchError + ")"
		if r.SwitchAt != nil {
			at = fmt.Sprintf("at %.1f s", *r.SwitchAt)
		}
		endHeight := 0
		if n := len(r.Samples); n > 0 {
			endHeight = r.Samples[n-1].VideoHeight
		}
		problems = append(problems, fmt.Sprintf("rendition switch from %s to %s requested %s did not happen: player reports %s, video height %d",
			r.RenditionBefore, r.SwitchTarget, at, r.RenditionAfter, endHeight))
	}
	if len(problems) == 0 {
		return nil
	}
	var context []string
	if n := len(r.Errors) - len(r.FatalErrors); n > 0 {
		var nonFatal []PlayerError
		for _, e := range r.Errors {
			if !e.Fatal {
				nonFatal = append(nonFatal, e)
			}
		}
		context = append(context, fmt.Sprintf("%d non-fatal error(s): %s", n, joinErrors(nonFatal, 3)))
	}
	if n := len(r.HTTPErrors); n > 0 {
		var hs []string
		for i, h := range r.HTTPErrors {
			if i == 3 {
				hs = append(hs, "…")
				break
			}
			hs = append(hs, fmt.Sprintf("%s -> %d %s", h.URL, h.Status, h.Error))
		}
		context = append(context, fmt.Sprintf("%d failed request(s): %s", n, strings.Join(hs, ", ")))
	}
	if len(r.Jumps) > 0 {
		context = append(context, fmt.Sprintf("%d jump(s), first %.2f -> %.2f at %.1f s", len(r.Jumps), r.Jumps[0].From, r.Jumps[0].To, r.Jumps[0].T))
	}
	msg := fmt.Sprintf("play %s %s: %s", r.Player, r.URL+r.PageURL, strings.Join(problems, "; "))
	if len(context) > 0 {
		msg += " [" + strings.Join(context, "; ") + "]"
	}
	return errors.New(msg)
}

// lastAdvance returns the last sample at which currentTime had moved
// forward since the sample before, or the first sample at or after
// start-up when it never moved again.
func (r *PlayResult) lastAdvance() (Sample, bool) {
	var last Sample
	found := false
	for i, s := range r.Samples {
		if s.T < r.StartupSeconds {
			continue
		}
		if !found || i > 0 && s.CurrentTime > r.Samples[i-1].CurrentTime {
			last, found = s, true
		}
	}
	return last, found
}

// FramesDecoded is the number of video frames the <video> element decoded
// during the watch: the sum of the increases of its decoded-frame count
// from sample to sample (a player that rebuilds its media source resets
// the count).
func (r *PlayResult) FramesDecoded() int {
	n := 0
	for i := 1; i < len(r.Samples); i++ {
		if d := r.Samples[i].DecodedFrames - r.Samples[i-1].DecodedFrames; d > 0 {
			n += d
		}
	}
	return n
}

// Summary is a one-line account of the run, for t.Log.
func (r *PlayResult) Summary() string {
	s := fmt.Sprintf("%s %s: started %v after %.1f s, advanced %.1f s (played %.1f s) in %.1f s, longest stall %.1f s, %d frames decoded, %d error(s) (%d fatal), %d waiting",
		r.Player, r.PlayerVersion, r.Started, r.StartupSeconds, r.AdvancedSeconds, r.PlayedSeconds, r.WallSeconds,
		r.MaxStallSeconds, r.FramesDecoded(), len(r.Errors), len(r.FatalErrors), r.countEvents("waiting"))
	if r.SwitchRequested {
		s += fmt.Sprintf(", switch %s -> %s: %v", r.RenditionBefore, r.SwitchTarget, r.Switched)
		if r.SwitchAt != nil && r.SwitchRenderedAt != nil {
			s += fmt.Sprintf(" (shown %.1f s after the request)", *r.SwitchRenderedAt-*r.SwitchAt)
		}
	}
	s += fmt.Sprintf(" [Play took %v, %v of it waiting for a browser slot]", r.Elapsed.Round(100*time.Millisecond), r.SlotWait.Round(100*time.Millisecond))
	return s
}

func (r *PlayResult) countEvents(typ string) int {
	n := 0
	for _, e := range r.MediaEvents {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func joinErrors(errs []PlayerError, max int) string {
	var parts []string
	for i, e := range errs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-max))
			break
		}
		parts = append(parts, e.String())
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
